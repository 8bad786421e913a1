"""Choosing the log type of each record among a source's candidates.

The order is fixed: the type that matched the previous record is tried first (sources rarely mix types, so this
usually costs one attempt), then the candidates in the order the source lists them. Nothing depends on dict or
set ordering, so the same input always classifies the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from onca.ingest.logtype import CompiledLogType, SkippedLine, decode_json_object
from onca.ingest.normalize import RecordError


@dataclass(frozen=True, slots=True)
class Classified:
    log_type: str
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A header or comment line that a candidate's parser skips on purpose."""

    log_type: str


@dataclass(frozen=True, slots=True)
class Unclassified:
    reasons: tuple[str, ...]  # one per candidate: "AWS.CloudTrail: eventName: required field is missing"


class Classifier:
    def __init__(self, candidates: Sequence[CompiledLogType]):
        if not candidates:
            raise ValueError("a source needs at least one candidate log type")
        self.candidates = tuple(candidates)
        self._last = 0

    def reset(self) -> None:
        """A new stream starts: parsers forget stream state (csv headers), and no type is preferred."""
        self._last = 0
        for candidate in self.candidates:
            candidate.reset()

    def classify(self, data: str | dict[str, Any], *, parse_time: datetime, row_id: str,
                 source_id: str = "", source_label: str = "") -> Classified | Skipped | Unclassified:
        order = (self._last, *(i for i in range(len(self.candidates)) if i != self._last))
        reasons = []
        decoded: dict[str, Any] | None = data if isinstance(data, dict) else None
        json_error: str | None = None
        for i in order:
            candidate = self.candidates[i]
            try:
                if candidate.is_json:
                    if decoded is None:
                        if json_error is not None:
                            raise RecordError(json_error)
                        try:
                            decoded = decode_json_object(data)  # type: ignore[arg-type]
                        except RecordError as exc:
                            json_error = str(exc)
                            raise
                    obj = decoded
                elif isinstance(data, str):
                    obj = candidate.parse_text(data)
                else:  # an object from a JSON stream is taken as the parser's output (a normalized event)
                    obj = data
                event = candidate.normalize(obj, parse_time=parse_time, row_id=row_id, source_id=source_id,
                                            source_label=source_label)
            except RecordError as exc:
                reasons.append(f"{candidate.name}: {exc}")
                continue
            except SkippedLine:
                return Skipped(candidate.name)
            except Exception as exc:  # a fault in a parser must not stop the stream
                reasons.append(f"{candidate.name}: {type(exc).__name__}: {exc}")
                continue
            self._last = i
            return Classified(candidate.name, event)
        return Unclassified(tuple(reasons))
