from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime

import orjson
import pytest

from onca.ingest.classify import Classified, Classifier
from onca.ingest.lake_sink import LakeSink
from onca.ingest.logtype import compile_log_type
from onca.ingest.pipeline import Pipeline, Source
from onca.lake import Lake, LakeWriter
from onca.schema import Registry, load_schemas

SCHEMAS = """
schema: Custom.Login
fields:
  - name: time
    type: timestamp
    timeFormat: rfc3339
    isEventTime: true
    required: true
  - name: user
    type: string
    required: true
    indicators: [username]
  - name: ip
    type: string
    indicators: [ip]
---
schema: Custom.Web
parser:
  fastmatch:
    match:
      - '%{ip} - - [%{time}] "%{method} %{path} %{proto}" %{status}'
fields:
  - name: ip
    type: string
    indicators: [ip]
  - name: time
    type: timestamp
    timeFormat: "%d/%b/%Y:%H:%M:%S %z"
    isEventTime: true
    required: true
  - name: method
    type: string
  - name: path
    type: string
  - name: proto
    type: string
  - name: status
    type: int
"""


@pytest.fixture
def registry() -> Registry:
    return Registry(load_schemas(SCHEMAS))


def login(i: int, hour: int = 10) -> bytes:
    return orjson.dumps({"time": f"2026-11-27T{hour:02d}:00:{i % 60:02d}Z", "user": f"u{i}", "ip": "192.0.2.7"})


def run(registry, tmp_path, payload: bytes, log_types=("Custom.Login", "Custom.Web")):
    writer = LakeWriter(tmp_path / "lake")
    pipeline = Pipeline(registry, [LakeSink(registry, writer)])
    stats = pipeline.ingest(io.BytesIO(payload), Source(tuple(log_types), id="s1", label="test"),
                            stream_name="payload")
    writer.close()
    return stats, Lake(tmp_path / "lake")


def test_pipeline_mixed_types_and_failures_are_all_accounted(registry, tmp_path):
    web = b'198.51.100.4 - - [27/Nov/2026:10:15:00 +0000] "GET /index.html HTTP/1.1" 200'
    payload = b"\n".join([login(1), web, b"{broken json", login(2, hour=11), b"\xff\xfe garbage", login(3)]) + b"\n"
    stats, lake = run(registry, tmp_path, payload)
    assert stats.by_type["Custom.Login"].events == 3
    assert stats.by_type["Custom.Web"].events == 1
    assert stats.failures == 2
    rows = lake.query("SELECT user, p_event_time, p_any_usernames FROM panther_logs.custom_login "
                      "ORDER BY user").to_pylist()
    assert [r["user"] for r in rows] == ["u1", "u2", "u3"]
    assert rows[0]["p_any_usernames"] == ["u1"]
    web_rows = lake.query("SELECT status, p_any_ip_addresses FROM panther_logs.custom_web").to_pylist()
    assert web_rows == [{"status": 200, "p_any_ip_addresses": ["198.51.100.4"]}]
    failures = lake.query("SELECT raw, reasons, stream, p_source_id FROM onca_system.classification_failures "
                          "ORDER BY \"offset\"").to_pylist()
    assert len(failures) == 2
    assert failures[0]["raw"] == "{broken json"
    assert any("Custom.Login" in r and "not JSON" in r for r in failures[0]["reasons"])
    assert any("Custom.Web" in r for r in failures[0]["reasons"])
    assert "UTF-8" in failures[1]["reasons"][0]
    assert failures[0]["stream"] == "payload" and failures[0]["p_source_id"] == "s1"


def test_pipeline_partitions_by_event_hour(registry, tmp_path):
    payload = b"\n".join([login(1, 9), login(2, 10), login(3, 11)])
    run(registry, tmp_path, payload, ("Custom.Login",))
    hours = sorted(p.name for p in (tmp_path / "lake/panther_logs/custom_login").glob("year=*/month=*/day=*/*"))
    assert hours == ["hour=09", "hour=10", "hour=11"]


def test_pipeline_reads_gzip_and_row_ids_are_unique(registry, tmp_path):
    payload = gzip.compress(b"\n".join(login(i) for i in range(500)))
    stats, lake = run(registry, tmp_path, payload, ("Custom.Login",))
    assert stats.events == 500
    (row,) = lake.query("SELECT count(DISTINCT p_row_id) AS n FROM panther_logs.custom_login").to_pylist()
    assert row["n"] == 500


def test_pipeline_all_logs_view_spans_tables(registry, tmp_path):
    web = b'198.51.100.4 - - [27/Nov/2026:10:15:00 +0000] "GET / HTTP/1.1" 404'
    run(registry, tmp_path, login(1) + b"\n" + web)
    rows = Lake(tmp_path / "lake").query(
        "SELECT p_log_type, count(*) AS n FROM panther_views.all_logs GROUP BY 1 ORDER BY 1").to_pylist()
    assert rows == [{"p_log_type": "Custom.Login", "n": 1}, {"p_log_type": "Custom.Web", "n": 1}]


def test_classifier_is_deterministic_with_sticky_preference():
    both = Registry(load_schemas("""
schema: Custom.A
fields:
  - name: x
    type: string
    required: true
---
schema: Custom.B
fields:
  - name: x
    type: string
    required: true
  - name: y
    type: string
"""))
    parse_time = datetime(2030, 1, 1, tzinfo=UTC)

    def classify_all(order):
        c = Classifier([compile_log_type(both.get(n)) for n in order])
        return [c.classify(line, parse_time=parse_time, row_id="r").log_type
                for line in ('{"x": "1"}', '{"x": "2", "y": "3"}')]

    assert classify_all(["Custom.A", "Custom.B"]) == ["Custom.A", "Custom.A"]
    assert classify_all(["Custom.B", "Custom.A"]) == ["Custom.B", "Custom.B"]


def test_classifier_sticky_type_is_tried_first():
    reg = Registry(load_schemas("""
schema: Custom.Num
fields:
  - name: v
    type: int
    required: true
---
schema: Custom.Str
fields:
  - name: v
    type: string
    required: true
"""))
    c = Classifier([compile_log_type(reg.get("Custom.Num")), compile_log_type(reg.get("Custom.Str"))])
    t = datetime(2030, 1, 1, tzinfo=UTC)
    results = [c.classify(x, parse_time=t, row_id="r") for x in ('{"v": 1}', '{"v": "a"}', '{"v": 2}')]
    assert [r.log_type for r in results] == ["Custom.Num", "Custom.Str", "Custom.Str"]
    assert isinstance(results[2], Classified) and results[2].event["v"] == "2"


def test_classifier_csv_header_does_not_swallow_another_types_first_line():
    registry = Registry.builtin()
    c = Classifier([compile_log_type(registry.get("AWS.VPCFlow"), shared=False),
                    compile_log_type(registry.get("Nginx.Access"), shared=False)])
    c.reset()
    line = '192.0.2.10 - - [27/Nov/2026:10:15:00 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8.4.0"'
    result = c.classify(line, parse_time=datetime(2030, 1, 1, tzinfo=UTC), row_id="r")
    assert isinstance(result, Classified) and result.log_type == "Nginx.Access"


class BatchRecorder:
    def __init__(self):
        self.batches = []

    def write_events(self, log_type, events):
        self.batches.append((log_type, [e["user"] for e in events]))

    def write_failures(self, failures):
        pass

    def flush(self):
        pass


def test_pipeline_batches_by_size_unless_a_delay_bounds_them(registry):
    payload = b"\n".join(login(i) for i in range(5))
    by_size = BatchRecorder()
    Pipeline(registry, [by_size], batch_size=2).ingest(io.BytesIO(payload), Source(("Custom.Login",)))
    assert by_size.batches == [("Custom.Login", ["u0", "u1"]), ("Custom.Login", ["u2", "u3"]),
                               ("Custom.Login", ["u4"])]
    # a zero delay: nothing waits for the next record, so every event goes out alone
    prompt = BatchRecorder()
    Pipeline(registry, [prompt], max_batch_delay=0).ingest(io.BytesIO(payload), Source(("Custom.Login",)))
    assert prompt.batches == [("Custom.Login", [f"u{i}"]) for i in range(5)]
