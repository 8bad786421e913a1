"""What one run of a detection over one event produced: each function's output or exception."""

from __future__ import annotations

from dataclasses import dataclass

AUX_FUNCTIONS = (
    "title",
    "description",
    "reference",
    "severity",
    "runbook",
    "destinations",
    "dedup",
    "alert_context",
    "unique",
)


@dataclass
class RunResult:
    """Field names follow the result object Panther's engine returns, so code written against it
    (pypanther's rule classes among them) can use this one unchanged."""

    detection_id: str
    detection_severity: str | None
    detection_type: str
    trigger_alert: bool = False
    setup_exception: BaseException | None = None
    input_exception: BaseException | None = None
    detection_output: bool | None = None
    detection_exception: BaseException | None = None
    filter_output: bool | None = None
    filter_exception: BaseException | None = None
    title_output: str | None = None
    title_exception: BaseException | None = None
    title_defined: bool = False
    description_output: str | None = None
    description_exception: BaseException | None = None
    description_defined: bool = False
    reference_output: str | None = None
    reference_exception: BaseException | None = None
    reference_defined: bool = False
    severity_output: str | None = None
    severity_exception: BaseException | None = None
    severity_defined: bool = False
    runbook_output: str | None = None
    runbook_exception: BaseException | None = None
    runbook_defined: bool = False
    destinations_output: list[str] | None = None
    destinations_exception: BaseException | None = None
    destinations_defined: bool = False
    dedup_output: str | None = None
    dedup_exception: BaseException | None = None
    dedup_defined: bool = False
    alert_context_output: str | None = None
    alert_context_exception: BaseException | None = None
    alert_context_defined: bool = False
    unique_output: str | None = None
    unique_exception: BaseException | None = None
    unique_defined: bool = False

    @property
    def fatal_error(self) -> BaseException | None:
        """The error that stopped evaluation, if any."""
        return self.setup_exception or self.detection_exception or self.filter_exception or self.input_exception

    @property
    def errored(self) -> bool:
        return any(error is not None for _, error in self.errors())

    @property
    def detection_evaluation_failed(self) -> bool:
        return bool(self.detection_exception or self.filter_exception or self.setup_exception)

    @property
    def all_filters_matched(self) -> bool:
        return bool(self.filter_output and not self.filter_exception)

    @property
    def filters_did_not_match(self) -> bool:
        return self.filter_output is not None and not self.filter_output and not self.filter_exception

    @property
    def filters_not_ran(self) -> bool:
        return self.filter_output is None and not self.filter_exception

    def errors(self) -> list[tuple[str, BaseException | None]]:
        """``(function, exception)`` for the setup, filters, matcher and every auxiliary function."""
        pairs: list[tuple[str, BaseException | None]] = [
            ("setup", self.setup_exception),
            ("input", self.input_exception),
            ("filters", self.filter_exception),
            ("detection", self.detection_exception),
        ]
        pairs.extend((name, getattr(self, f"{name}_exception")) for name in AUX_FUNCTIONS)
        return pairs

    def ignore_errors(self, kinds: list[type[BaseException]] | tuple[type[BaseException], ...]) -> None:
        """Drop the recorded exceptions of these types (the test runner ignores some)."""
        kinds = tuple(kinds)
        for name, error in self.errors():
            if error is not None and isinstance(error, kinds) and name not in ("setup", "input"):
                attribute = "filter_exception" if name == "filters" else f"{name}_exception"
                setattr(self, attribute, None)
