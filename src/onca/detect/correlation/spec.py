"""Validate the ``Detection`` block of a correlation rule and turn it into model objects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from onca.detect.correlation.errors import CorrelationError
from onca.detect.correlation.model import Criterion, Member, Schedule, Transition

_COMMON_KEYS = {"EventEvaluationOrder", "LookbackWindowMinutes", "Schedule"}
_GROUP_KEYS = _COMMON_KEYS | {"Group", "MatchCriteria", "MinMatchCount"}
_SEQUENCE_KEYS = _COMMON_KEYS | {"Sequence", "Transitions"}
_MEMBER_KEYS = {"ID", "RuleID", "MinMatchCount", "MaxMatchCount", "Absence"}
_ORDERS = ("Chronological", "ReverseChronological")


def detection_item(spec: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """The single Group/Sequence item and its key path; ``spec`` is the whole analysis spec, or
    the item itself."""
    if not isinstance(spec, Mapping):
        raise CorrelationError("<spec>", "must be a mapping")
    if "Detection" not in spec:
        if "Group" in spec or "Sequence" in spec:
            return spec, "Detection[0]"
        raise CorrelationError("Detection", "is required")
    detection = spec["Detection"]
    if not isinstance(detection, list) or len(detection) != 1:
        raise CorrelationError("Detection", "must be a list holding exactly one Group or Sequence item")
    item = detection[0]
    if not isinstance(item, Mapping):
        raise CorrelationError("Detection[0]", "must be a mapping")
    return item, "Detection[0]"


def positive_int(value: Any, path: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise CorrelationError(path, f"must be an integer >= {minimum}, got {value!r}")
    return value


def read_kind(item: Mapping[str, Any], path: str) -> str:
    kinds = [kind for kind in ("Group", "Sequence") if kind in item]
    if len(kinds) != 1:
        raise CorrelationError(path, "must hold exactly one of Group or Sequence")
    allowed = _GROUP_KEYS if kinds[0] == "Group" else _SEQUENCE_KEYS
    extra = sorted(str(key) for key in item if key not in allowed)
    if extra:
        raise CorrelationError(f"{path}.{extra[0]}", f"is not allowed in a {kinds[0]} rule")
    return kinds[0]


def read_members(value: Any, path: str) -> tuple[Member, ...]:
    if not isinstance(value, list) or not value:
        raise CorrelationError(path, "must be a non-empty list of members")
    members: list[Member] = []
    for index, raw in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(raw, Mapping):
            raise CorrelationError(where, "must be a mapping with RuleID (and ID)")
        extra = sorted(str(key) for key in raw if key not in _MEMBER_KEYS)
        if extra:
            raise CorrelationError(f"{where}.{extra[0]}", "unknown member key")
        rule_id = raw.get("RuleID")
        if not isinstance(rule_id, str) or not rule_id.strip():
            raise CorrelationError(f"{where}.RuleID", "must be a non-empty string")
        member_id = raw.get("ID", rule_id)
        if not isinstance(member_id, str) or not member_id.strip():
            raise CorrelationError(f"{where}.ID", "must be a non-empty string")
        if any(m.id == member_id for m in members):
            raise CorrelationError(f"{where}.ID", f"duplicate member ID {member_id!r}")
        minimum = positive_int(raw.get("MinMatchCount", 1), f"{where}.MinMatchCount")
        maximum = raw.get("MaxMatchCount")
        if maximum is not None:
            maximum = positive_int(maximum, f"{where}.MaxMatchCount", minimum=minimum)
        absence = raw.get("Absence", False)
        if not isinstance(absence, bool):
            raise CorrelationError(f"{where}.Absence", "must be true or false")
        if absence and maximum is not None:
            raise CorrelationError(f"{where}.MaxMatchCount", "does not apply to an Absence member")
        members.append(Member(member_id, rule_id, minimum, maximum, absence))
    if all(m.absence for m in members):
        raise CorrelationError(path, "needs at least one member that is not an Absence")
    return tuple(members)


def read_criteria(value: Any, members: tuple[Member, ...], path: str) -> tuple[Criterion, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise CorrelationError(path, "must map criteria names to lists of {GroupID, Match}")
    ids = {m.id for m in members}
    criteria: list[Criterion] = []
    for name, entries in value.items():
        where = f"{path}.{name}"
        if not isinstance(entries, list) or not entries:
            raise CorrelationError(where, "must be a non-empty list of {GroupID, Match}")
        fields: dict[str, str] = {}
        for index, entry in enumerate(entries):
            at = f"{where}[{index}]"
            if not isinstance(entry, Mapping):
                raise CorrelationError(at, "must be a mapping with GroupID and Match")
            extra = sorted(str(key) for key in entry if key not in ("GroupID", "Match"))
            if extra:
                raise CorrelationError(f"{at}.{extra[0]}", "unknown key (use GroupID and Match)")
            group_id, field_path = entry.get("GroupID"), entry.get("Match")
            if not isinstance(group_id, str) or group_id not in ids:
                raise CorrelationError(f"{at}.GroupID", f"unknown member {group_id!r}")
            if group_id in fields:
                raise CorrelationError(f"{at}.GroupID", f"member {group_id!r} is listed twice")
            if not isinstance(field_path, str) or not field_path.strip():
                raise CorrelationError(f"{at}.Match", "must be a non-empty field path")
            fields[group_id] = field_path.strip()
        criteria.append(Criterion(str(name), fields))
    return tuple(criteria)


def read_transitions(value: Any, members: tuple[Member, ...], path: str) -> tuple[Transition, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise CorrelationError(path, "must be a list of transitions")
    position = {m.id: index for index, m in enumerate(members)}
    transitions: list[Transition] = []
    for index, raw in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(raw, Mapping):
            raise CorrelationError(where, "must be a mapping with From and To")
        extra = sorted(
            str(k) for k in raw if k not in ("ID", "From", "To", "WithinTimeFrameMinutes", "Match")
        )
        if extra:
            raise CorrelationError(f"{where}.{extra[0]}", "unknown transition key")
        ends = []
        for end in ("From", "To"):
            if not isinstance(raw.get(end), str) or raw[end] not in position:
                raise CorrelationError(f"{where}.{end}", f"unknown member {raw.get(end)!r}")
            ends.append(position[raw[end]])
        if ends[0] >= ends[1]:
            raise CorrelationError(
                where, f"From {raw['From']!r} must come before To {raw['To']!r} in the Sequence"
            )
        within = raw.get("WithinTimeFrameMinutes")
        span = (
            None
            if within is None
            else timedelta(minutes=positive_int(within, f"{where}.WithinTimeFrameMinutes"))
        )
        from_field, to_field = read_transition_match(raw.get("Match"), f"{where}.Match")
        name = raw.get("ID", f"{raw['From']}->{raw['To']}")
        transitions.append(Transition(str(name), ends[0], ends[1], span, from_field, to_field))
    return tuple(transitions)


def read_transition_match(value: Any, path: str) -> tuple[str | None, str | None]:
    """``[{On: field}]`` (same field on both sides) or ``[{From: field, To: field}]``."""
    if value is None:
        return None, None
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], Mapping):
        raise CorrelationError(path, "must be a list holding one {On} or {From, To} mapping")
    entry = dict(value[0])
    if True in entry and "On" not in entry:
        # A YAML 1.1 loader reads the key ``On`` as the boolean true.
        entry["On"] = entry.pop(True)
    extra = sorted(str(k) for k in entry if k not in ("On", "From", "To"))
    if extra:
        raise CorrelationError(f"{path}[0].{extra[0]}", "unknown key (use On, or From and To)")
    if "On" in entry:
        if "From" in entry or "To" in entry:
            raise CorrelationError(f"{path}[0]", "give either On, or From and To, not both")
        on = _field(entry["On"], f"{path}[0].On")
        return on, on
    if "From" not in entry or "To" not in entry:
        raise CorrelationError(f"{path}[0]", "needs On, or both From and To")
    return _field(entry["From"], f"{path}[0].From"), _field(entry["To"], f"{path}[0].To")


def _field(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CorrelationError(path, "must be a non-empty field path")
    return value.strip()


def read_schedule(value: Any, path: str) -> Schedule:
    if not isinstance(value, Mapping):
        raise CorrelationError(path, "is required: {RateMinutes or CronExpression, TimeoutMinutes}")
    extra = sorted(str(k) for k in value if k not in ("RateMinutes", "CronExpression", "TimeoutMinutes"))
    if extra:
        raise CorrelationError(f"{path}.{extra[0]}", "unknown schedule key")
    if ("RateMinutes" in value) == ("CronExpression" in value):
        raise CorrelationError(path, "needs exactly one of RateMinutes or CronExpression")
    timeout = positive_int(value.get("TimeoutMinutes"), f"{path}.TimeoutMinutes")
    rate = cron = None
    if "RateMinutes" in value:
        rate = positive_int(value["RateMinutes"], f"{path}.RateMinutes", minimum=2)
        if rate < timeout:
            raise CorrelationError(f"{path}.RateMinutes", "must be >= TimeoutMinutes")
    else:
        cron = value["CronExpression"]
        if not isinstance(cron, str) or len(cron.split()) not in (5, 6):
            raise CorrelationError(f"{path}.CronExpression", f"must be a cron expression, got {cron!r}")
    return Schedule(rate, cron, timeout)


def read_order(value: Any, path: str) -> bool:
    """True for ReverseChronological."""
    if value is None:
        return False
    if value not in _ORDERS:
        raise CorrelationError(path, f"must be Chronological or ReverseChronological, got {value!r}")
    return value == "ReverseChronological"


def read_lookback(value: Any, path: str) -> timedelta | None:
    return None if value is None else timedelta(minutes=positive_int(value, path))
