"""Every built-in log type against its fixture cases in tests/fixtures/logtypes/<LogType>.yml."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from ruamel.yaml import YAML

from onca.cli.common import event_json
from onca.ingest.classify import Classified, Classifier, Skipped
from onca.ingest.logtype import compile_log_type
from onca.schema import Registry

FIXTURES = Path(__file__).parent.parent / "fixtures" / "logtypes"
VOLATILE = ("p_row_id", "p_parse_time", "p_source_id", "p_source_label")


def _cases():
    yaml = YAML(typ="safe", pure=True)
    for path in sorted(FIXTURES.glob("*.yml")):
        doc = yaml.load(path.read_text(encoding="utf-8"))
        for i, case in enumerate(doc["cases"]):
            yield pytest.param(doc["logType"], case, id=f"{doc['logType']}-{i}-{case['name']}")


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.builtin()


def test_builtin_every_type_has_fixture_cases(registry):
    covered = {p.stem for p in FIXTURES.glob("*.yml")}
    missing = [name for name in registry.names() if name not in covered]
    assert not missing, f"log types without fixture cases: {missing}"


def test_builtin_every_type_has_three_cases():
    yaml = YAML(typ="safe", pure=True)
    for path in FIXTURES.glob("*.yml"):
        cases = yaml.load(path.read_text(encoding="utf-8"))["cases"]
        assert len([c for c in cases if "expected" in c]) >= 3, f"{path.name}: fewer than 3 parsed cases"


@pytest.mark.parametrize(("log_type", "case"), list(_cases()))
def test_builtin_logtype_case(registry, log_type, case):
    classifier = Classifier([compile_log_type(registry.get(log_type), shared=False)])
    classifier.reset()
    parse_time = datetime(2030, 1, 1, tzinfo=UTC)
    if "header" in case:  # text types whose streams start with a header line
        assert isinstance(classifier.classify(case["header"], parse_time=parse_time, row_id="h"), Skipped)
    text = case["input"].rstrip("\n")
    result = classifier.classify(text, parse_time=parse_time, row_id="r1")
    if case.get("skipped"):
        assert isinstance(result, Skipped), f"expected the line to be skipped, got {result}"
        return
    if case.get("rejected"):
        assert not isinstance(result, Classified), f"expected a rejection, parsed as {result}"
        return
    assert isinstance(result, Classified), f"not parsed: {getattr(result, 'reasons', None)}"
    printed = orjson.loads(event_json(result.event))
    for key in VOLATILE:
        printed.pop(key, None)
    assert printed == case["expected"]
