from __future__ import annotations

import importlib
import sys
from unittest.mock import MagicMock

from onca.detect.build import import_file
from onca.detect.event import DetectionEvent, ImmutableCaseInsensitiveDict, ImmutableList
from onca.detect.platform import PLATFORM_MODULES, install_platform_modules
from onca.detect.platform import caching as onca_caching


def test_platform_modules_importable_by_content(tmp_path, active_kv_store):
    install_platform_modules()
    source = tmp_path / "content_rule.py"
    source.write_text(
        "from panther_core import PantherEvent\n"
        "from panther_core.immutable import ImmutableCaseInsensitiveDict, ImmutableList\n"
        "from panther_core.enriched_event import PantherEvent as Enriched\n"
        "from panther_detection_helpers.caching import get_string_set, put_string_set\n"
        "from panther_detection_helpers.mocking import is_mock\n"
        "import panther_detection_helpers.caching as caching\n"
        "def rule(event: PantherEvent) -> bool:\n"
        "    put_string_set('seen', [event.get('user')])\n"
        "    return isinstance(event.get('roles'), ImmutableList) and 'alice' in get_string_set('seen')\n"
    )
    module = import_file("Content.Rule", source)
    assert module.PantherEvent is DetectionEvent and module.Enriched is DetectionEvent
    assert module.ImmutableCaseInsensitiveDict is ImmutableCaseInsensitiveDict
    assert module.rule(DetectionEvent({"user": "alice", "roles": ["a"]}))
    assert active_kv_store.get_string_set("seen") == {"alice"}
    assert module.is_mock(MagicMock()) and not module.is_mock(print)
    assert module.caching.get_counter is onca_caching.get_counter


def test_platform_modules_replace_installed_ones():
    sys.modules["panther_core"] = object()  # type: ignore[assignment]  # as if the PyPI package was imported
    install_platform_modules()
    assert sys.modules["panther_core"] is PLATFORM_MODULES["panther_core"]
    assert importlib.import_module("panther_core.immutable").ImmutableList is ImmutableList


def test_platform_modules_serve_what_pypanther_imports():
    install_platform_modules()
    from panther_core.detection import DetectionResult
    from panther_core.exceptions import FunctionReturnTypeError, UnknownDestinationError
    from panther_core.util import get_bool_env_var

    result = DetectionResult(detection_id="x", detection_severity="INFO", detection_type="RULE", trigger_alert=False)
    assert result.detection_output is None and not result.errored
    assert str(UnknownDestinationError("Invalid Destinations", ["a"])) == "Invalid Destinations: ['a']"
    assert issubclass(FunctionReturnTypeError, Exception)
    assert get_bool_env_var("ONCA_SURELY_UNSET_VARIABLE", True) is True


def test_platform_caching_module_hides_store_switch():
    install_platform_modules()
    served = importlib.import_module("panther_detection_helpers.caching")
    assert not hasattr(served, "use_kv_store")
    assert served.check_account_age is onca_caching.check_account_age


def test_time_formats_tried_in_turn_are_compiled_once(monkeypatch):
    import _strptime
    from datetime import datetime

    install_platform_modules()
    compiled: list[str] = []
    original = _strptime.TimeRE.compile
    monkeypatch.setattr(_strptime.TimeRE, "compile", lambda self, fmt: compiled.append(fmt) or original(self, fmt))
    separators = "T_/|.,;!@#=+"
    for _ in range(3):  # a rule trying formats in turn does this on every event
        for sep in separators:
            datetime.strptime(f"2024-05-06{sep}07:08:09", f"%Y-%m-%d{sep}%H:%M:%S")
    assert len(compiled) <= len(separators)  # each format at most once, however many are in use
