"""Correlation rules on the live stream of signals.

Live detection hands every rule match and signal to :meth:`CorrelationStream.feed`. Per correlation
rule the stream keeps the recent signals of its member rules and evaluates the rule with the engine
``onca test`` uses (``CorrelationRule.evaluate``), at the stream clock the caller gives. Each new
correlation becomes a :class:`~onca.detect.findings.Finding`.

Three things make a stream differ from one evaluation over a test's signals:

- memory is bounded: signals older than the rule's window are dropped, and at most ``max_signals``
  are kept per rule (the oldest go first);
- a correlation is reported once: a hit whose earliest signal already took part in a reported hit
  on the same key is a repeat (the window slid, or more signals joined an ongoing correlation);
- an absence is decided only once its window has passed, so a hit of a rule with Absence members
  waits until its deadline and is then confirmed by evaluating the rule at that deadline. A call
  with no findings (a tick) is what lets time pass.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from onca.detect.correlation.keys import flatten_fields
from onca.detect.correlation.model import CorrelationHit, RuleMatch, utc
from onca.detect.correlation.rule import CorrelationRule
from onca.detect.findings import DEFAULT_DEDUP_PERIOD_MINUTES, Finding
from onca.detect.tracebacks import describe_error

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(hours=24)  # for a rule with no LookbackWindowMinutes and no bounded chain
DEFAULT_MAX_SIGNALS = 10_000  # per correlation rule
MAX_CHAIN_DEPTH = 3  # correlation rules that watch correlation rules, fed back in the same call

Key = tuple[tuple[str, str], ...]


@dataclass(eq=False)
class _Signal:
    seq: int
    match: RuleMatch
    finding: Finding
    reported: set[Key] = field(default_factory=set)  # keys of reported hits this signal was part of
    settled: set[Key] = field(default_factory=set)  # keys of absence hits starting here that were spoiled

    @property
    def time(self) -> datetime:
        return self.match.time


@dataclass(frozen=True)
class _Pending:
    key: Key
    first: int  # seq of the hit's earliest signal
    deadline: datetime


def _window(rule: CorrelationRule, default: timedelta) -> timedelta:
    """How far back signals matter: the lookback, else a chain bounded by its transitions' time frames."""
    if rule.lookback is not None:
        return rule.lookback
    spans = [t.within for t in rule.transitions]
    if spans and all(span is not None for span in spans):
        return sum((span for span in spans if span is not None), timedelta())
    return default


class _RuleState:
    """One correlation rule's signals, undecided absence hits and what it has reported."""

    def __init__(self, spec: Mapping[str, Any], rule: CorrelationRule, window: timedelta, cap: int) -> None:
        self.spec = spec
        self.rule = rule
        self.rule_id = str(spec["RuleID"])
        self.window = _window(rule, window)
        self.cap = cap
        members = rule.members
        present = [i for i, m in enumerate(members) if not m.absence]
        if rule.kind == "Group":
            self.waiting = [i for i, m in enumerate(members) if m.absence]
        else:  # in a sequence only an absence after the last stage is still open when the chain completes
            self.waiting = [i for i, m in enumerate(members) if m.absence and i > max(present)]
        # Rules whose result can change when a signal leaves the window, not only when one arrives.
        self.expiry_matters = any(m.absence or m.max_count is not None for m in members)
        self.signals: list[_Signal] = []
        self.pending: dict[tuple[Key, int], _Pending] = {}
        self.dirty = False
        self.last_now: datetime | None = None

    # --- evaluation ---------------------------------------------------------------------------

    def step(self, now: datetime) -> list[tuple[CorrelationHit, list[_Signal]]]:
        """Evaluate if anything changed, decide absence hits whose deadline passed, drop old signals."""
        changed = self.dirty or self._window_changed(now)
        found = self._decide(now)  # hits that were waiting, before their early signals are dropped
        self._drop_old(now)
        if changed:
            for hit, signals in self._hits(now):
                first = signals[0]
                if hit.key in first.reported or hit.key in first.settled:
                    continue
                if not self.waiting:
                    self._report(hit, signals)
                    found.append((hit, signals))
                elif (hit.key, first.seq) not in self.pending:
                    self.pending[(hit.key, first.seq)] = _Pending(hit.key, first.seq, self._deadline(hit, first))
        self.dirty = False
        self.last_now = now
        found += self._decide(now)  # hits found just now whose absence window has already passed
        if len(self.pending) > self.cap:  # keep those decided last
            self.pending = dict(sorted(self.pending.items(), key=lambda item: item[1].deadline)[-self.cap :])
        return found

    def _window_changed(self, now: datetime) -> bool:
        last = self.last_now
        if last is None:
            return False
        if any(last < s.time <= now for s in self.signals):
            return True  # a signal from the caller's future has come into the window
        return self.expiry_matters and any(s.time < now - self.window for s in self.signals)

    def _hits(self, at: datetime) -> list[tuple[CorrelationHit, list[_Signal]]]:
        """The rule's hits at ``at``, each with its signals, earliest first."""
        by_id = {id(s.match): s for s in self.signals}
        hits = self.rule.evaluate([s.match for s in self.signals], now=at)
        return [
            (hit, sorted((by_id[id(m)] for m in hit.matches), key=lambda s: (s.time, s.seq))) for hit in hits
        ]

    def _deadline(self, hit: CorrelationHit, first: _Signal) -> datetime:
        """When the absence can no longer turn up: the window after the first signal, or sooner when a
        sequence's transition into the absence has a time frame."""
        latest = first.time + self.window
        if self.rule.kind == "Group":
            return latest
        members = self.rule.members
        by_member = hit.by_member
        deadline = None
        for index in self.waiting:
            ends = [
                max(m.time for m in by_member[members[t.from_].id]) + t.within
                for t in self.rule.transitions
                if t.to == index and t.within is not None and members[t.from_].id in by_member
            ]
            own = min([latest, *ends])
            deadline = own if deadline is None else max(deadline, own)
        return deadline if deadline is not None else latest

    def _decide(self, now: datetime) -> list[tuple[CorrelationHit, list[_Signal]]]:
        due = sorted((p for p in self.pending.values() if p.deadline <= now), key=lambda p: p.deadline)
        confirmed: list[tuple[CorrelationHit, list[_Signal]]] = []
        at_deadline: dict[datetime, list[tuple[CorrelationHit, list[_Signal]]]] = {}
        for pending in due:
            del self.pending[(pending.key, pending.first)]
            if pending.deadline not in at_deadline:
                at_deadline[pending.deadline] = self._hits(pending.deadline)
            match = next(
                (
                    (hit, signals)
                    for hit, signals in at_deadline[pending.deadline]
                    if hit.key == pending.key and signals[0].seq == pending.first
                ),
                None,
            )
            if match is None:  # spoiled by an absence signal, or no longer a correlation
                first = next((s for s in self.signals if s.seq == pending.first), None)
                if first is not None:
                    first.settled.add(pending.key)
                continue
            hit, signals = match
            if hit.key in signals[0].reported:
                continue
            self._report(hit, signals)
            confirmed.append(match)
        return confirmed

    def _report(self, hit: CorrelationHit, signals: list[_Signal]) -> None:
        for signal in signals:
            signal.reported.add(hit.key)

    def _drop_old(self, now: datetime) -> None:
        """Signals that left the window, and the oldest ones beyond the cap."""
        oldest = now - self.window
        if any(s.time < oldest for s in self.signals):
            self.signals = [s for s in self.signals if s.time >= oldest]
        if len(self.signals) > self.cap:
            self.signals.sort(key=lambda s: (s.time, s.seq))
            self.signals = self.signals[-self.cap :]


class CorrelationStream:
    """Correlation rules evaluated as signals arrive.

    ``rules`` pairs each correlation rule's analysis spec (for RuleID, Severity, DisplayName, ...) with
    its compiled form. ``window`` is the memory of a rule that sets no ``LookbackWindowMinutes`` and
    whose transitions do not all have a ``WithinTimeFrameMinutes``; ``max_signals`` caps the signals
    (and the undecided absence hits) kept per rule.
    """

    def __init__(
        self,
        rules: Sequence[tuple[Mapping[str, Any], CorrelationRule]],
        *,
        window: timedelta = DEFAULT_WINDOW,
        max_signals: int = DEFAULT_MAX_SIGNALS,
    ) -> None:
        if max_signals < 1:
            raise ValueError(f"max_signals must be at least 1, got {max_signals}")
        self._states: list[_RuleState] = []
        seen: set[str] = set()
        for index, (spec, rule) in enumerate(rules):
            rule_id = spec.get("RuleID") if isinstance(spec, Mapping) else None
            if not isinstance(rule_id, str) or not rule_id:
                raise ValueError(f"correlation rule #{index}: the spec has no RuleID")
            if rule_id in seen:
                raise ValueError(f"correlation rule {rule_id!r} is given twice")
            seen.add(rule_id)
            self._states.append(_RuleState(spec, rule, window, max_signals))
        self._watchers: dict[str, list[_RuleState]] = {}
        self._watch()
        self._seq = 0

    def _watch(self) -> None:
        self._watchers = {}
        for state in self._states:
            for member_rule in sorted(state.rule.rule_ids):
                self._watchers.setdefault(member_rule, []).append(state)

    def keep_state_of(self, previous: CorrelationStream) -> int:
        """Take over what ``previous`` remembers (signals, open windows) for the rules whose spec is the
        same in both, as when content is reloaded; returns how many rules kept their state."""
        before = {state.spec.get("RuleID"): state for state in previous._states}
        kept = 0
        for position, state in enumerate(self._states):
            old = before.get(state.spec.get("RuleID"))
            if old is not None and old.spec == state.spec:
                self._states[position] = old
                kept += 1
        self._watch()
        self._seq = max(self._seq, previous._seq)
        return kept

    @property
    def rule_ids(self) -> frozenset[str]:
        """The rules whose signals the stream wants."""
        return frozenset(self._watchers)

    def signals_held(self, rule_id: str | None = None) -> int:
        """Signals kept for one correlation rule, or for all of them."""
        return sum(len(s.signals) for s in self._states if rule_id is None or s.rule_id == rule_id)

    def pending(self, rule_id: str | None = None) -> int:
        """Hits waiting for an absence window to pass."""
        return sum(len(s.pending) for s in self._states if rule_id is None or s.rule_id == rule_id)

    def feed(self, findings: Sequence[Finding], *, now: datetime) -> list[Finding]:
        """Take new matches and signals (other findings are ignored) and return the correlations they
        complete, plus those whose absence window has passed by ``now``. ``feed([], now=...)`` is a tick."""
        now = utc(now)
        produced: list[Finding] = []
        batch = list(findings)
        for _ in range(MAX_CHAIN_DEPTH + 1):
            self._accept(batch)
            found = [finding for state in self._states for finding in self._step(state, now)]
            produced += found
            batch = [f for f in found if f.kind != "error" and f.detection_id in self._watchers]
            if not batch:
                break
        return produced

    def _accept(self, findings: Sequence[Finding]) -> None:
        for finding in findings:
            if finding.kind not in ("match", "signal"):
                continue
            states = self._watchers.get(finding.detection_id)
            if not states:
                continue
            fields = flatten_fields({**finding.event, "p_alert_context": finding.alert_context or {}})
            match = RuleMatch(finding.detection_id, "", utc(finding.event_time), fields)
            self._seq += 1
            for state in states:
                state.signals.append(_Signal(self._seq, match, finding))
                state.dirty = True

    def _step(self, state: _RuleState, now: datetime) -> list[Finding]:
        try:
            return [_hit_finding(state, hit, signals) for hit, signals in state.step(now)]
        except Exception as exc:  # noqa: BLE001 - one broken rule must not stop the others
            log.warning("correlation rule %s failed: %s", state.rule_id, describe_error(exc))
            state.dirty = False
            state.last_now = now
            return [_error_finding(state, exc, now)]


# --- findings ---------------------------------------------------------------------------------


def _signal_row(signal: _Signal) -> dict[str, Any]:
    """A matched signal as the correlation's event lists it: the event plus the rule it matched."""
    finding = signal.finding
    row = dict(finding.event)
    row["p_rule_id"] = finding.detection_id
    if finding.log_type:
        row.setdefault("p_log_type", finding.log_type)
    if finding.alert_context:
        row["p_alert_context"] = finding.alert_context
    return row


def _common(spec: Mapping[str, Any]) -> dict[str, Any]:
    reports = spec.get("Reports") or {}
    period = spec.get("DedupPeriodMinutes")
    return {
        "detection_type": "correlation",
        "severity": str(spec.get("Severity") or "INFO").upper(),
        "detection_name": str(spec.get("DisplayName") or ""),
        "dedup_period_minutes": period if isinstance(period, int) and period > 0 else DEFAULT_DEDUP_PERIOD_MINUTES,
        "destination_overrides": tuple(str(o) for o in spec.get("OutputIds") or ()),
        "description": str(spec.get("Description") or ""),
        "reference": str(spec.get("Reference") or ""),
        "runbook": str(spec.get("Runbook") or ""),
        "tags": tuple(str(t) for t in spec.get("Tags") or ()),
        "reports": {str(name): [str(v) for v in values or ()] for name, values in reports.items()},
    }


def _hit_finding(state: _RuleState, hit: CorrelationHit, signals: list[_Signal]) -> Finding:
    spec = state.spec
    by_id = {id(s.match): s for s in signals}
    ordered = [by_id[id(m)] for m in hit.matches]  # in the rule's EventEvaluationOrder
    return Finding(
        kind="signal" if spec.get("CreateAlert") is False else "match",
        detection_id=state.rule_id,
        log_type="",
        event={"matches": [_signal_row(s) for s in ordered]},
        event_time=hit.last_time,
        title=str(spec.get("DisplayName") or state.rule_id),
        dedup=hit.dedup or state.rule_id,
        alert_context=dict(hit.key),
        **_common(spec),
    )


def _error_finding(state: _RuleState, error: Exception, now: datetime) -> Finding:
    return Finding(
        kind="error",
        detection_id=state.rule_id,
        log_type="",
        event={},
        event_time=now,
        title=f"Correlation rule {state.rule_id} failed",
        dedup=f"{state.rule_id}:{type(error).__name__}",
        error=f"evaluate: {describe_error(error)}",
        **_common(state.spec),
    )
