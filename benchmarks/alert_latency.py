"""Alert latency: from an event entering the pipeline to a webhook receiving its alert, at a steady event rate.

A synthetic CloudTrail stream is fed to the ingest pipeline at --rate events per second (lake sink and detection
stage, as `onca ingest --detections` runs them). A few events per second are probes that one rule matches, each
with its own dedup string, so each becomes one alert; a webhook receiver in another process notes when each probe's
alert arrives. The baseline, measured in the same run, is the floor of the transport: the same alert document
POSTed straight to the same receiver when the probe is produced, with no pipeline in between. The ordinary events
are made before the clock starts, so the rate measures the pipeline, not the generator; the receiver keeps
connections open, as the services alerts go to do.

    python benchmarks/alert_latency.py [--rate 2000] [--seconds 20] [--content PATH ...] [--workers 1] [--store URL]

--content adds detection trees (a panther-analysis checkout) so the stream also runs through real rules.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from cloudtrail_gen import make_event  # noqa: E402

from onca.ingest.decode import RawRecord  # noqa: E402
from onca.ingest.lake_sink import LakeSink  # noqa: E402
from onca.ingest.pipeline import Pipeline, Source  # noqa: E402
from onca.lake import LakeWriter  # noqa: E402
from onca.runtime.collector import tune_garbage_collector  # noqa: E402
from onca.runtime.detection_setup import open_detection_stage  # noqa: E402
from onca.runtime.settings import DetectionSettings  # noqa: E402
from onca.schema import Registry  # noqa: E402

PROBE_RULE = {
    "probe.yml": """
        AnalysisType: rule
        RuleID: Onca.LatencyProbe
        Filename: probe.py
        Enabled: true
        Severity: High
        LogTypes: [AWS.CloudTrail]
        """,
    "probe.py": """
        def rule(event):
            return event.get("eventName") == "OncaLatencyProbe"

        def dedup(event):
            return event.deep_get("requestParameters", "probeId")

        def alert_context(event):
            return {"probe": event.deep_get("requestParameters", "probeId")}
        """,
}


def receiver(port_queue: mp.Queue, results: mp.Queue) -> None:
    """Runs in its own process: answers 200 and reports (probe id, arrival time) for every alert."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections open, as the services alerts go to do

        def do_POST(self) -> None:
            arrived = time.time()
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            probe = (body.get("alertContext") or {}).get("probe")
            if probe:
                results.put((probe, body.get("alertId", ""), arrived))

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer.request_queue_size = 128  # a burst of new connections is not dropped at the listen queue
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_port)
    server.serve_forever()


def probe_event(probe_id: str, when: datetime) -> dict:
    return {"eventVersion": "1.08", "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "s3.amazonaws.com", "eventName": "OncaLatencyProbe", "awsRegion": "us-east-1",
            "sourceIPAddress": "192.0.2.1", "eventID": probe_id, "eventType": "AwsApiCall",
            "recipientAccountId": "123456789012", "userIdentity": {"type": "Root"},
            "requestParameters": {"probeId": probe_id}}


def background(total: int) -> list[str]:
    """The stream's ordinary events, made before the clock starts: making them is not the pipeline's work."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    return [orjson.dumps(make_event(rng, now)).decode() for _ in range(total)]


def paced_stream(rate: int, ordinary: list[str], probes_per_second: int,
                 sent: dict[str, float]) -> Iterator[RawRecord]:
    """Records at a steady rate; every rate/probes_per_second-th one a probe, its send time noted."""
    every = max(1, rate // probes_per_second)
    start = time.perf_counter()
    for n in range(len(ordinary)):
        due = start + n / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        if n % every == every - 1:
            probe_id = f"probe-{n}"
            text = orjson.dumps(probe_event(probe_id, datetime.now(UTC))).decode()
            sent[probe_id] = time.time()
        else:
            text = ordinary[n]
        yield RawRecord(text, n)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def baseline(url: str, count: int) -> list[float]:
    """The transport floor: the alert document POSTed directly, timed the same way."""
    latencies = []
    with httpx.Client(timeout=10) as client:
        for n in range(count):
            sent = time.time()
            response = client.post(url, json={"alertId": f"b{n}", "title": "probe", "severity": "HIGH",
                                              "alertContext": {}})
            response.raise_for_status()
            latencies.append(time.time() - sent)
            time.sleep(0.01)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=2000, help="events per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--probes-per-second", type=int, default=10)
    parser.add_argument("--content", type=Path, action="append", default=[])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--store", help="metadata store URL (default: a SQLite file in a temporary directory), "
                                        "e.g. postgresql://postgres@127.0.0.1:5432/onca_bench, an empty database")
    parser.add_argument("--batch-delay", type=float, default=0.05, help="pipeline max_batch_delay, seconds")
    args = parser.parse_args()

    ports: mp.Queue = mp.Queue()
    results: mp.Queue = mp.Queue()
    server = mp.Process(target=receiver, args=(ports, results), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=10)}/alerts"

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        probe_tree = root / "probe" / "rules"
        probe_tree.mkdir(parents=True)
        for name, text in PROBE_RULE.items():
            (probe_tree / name).write_text(textwrap.dedent(text))
        (root / "destinations.yml").write_text(f"- kind: webhook\n  name: latency\n  url: {url}\n")
        tune_garbage_collector()  # as every onca command does, before the rule workers are forked
        registry = Registry.builtin()
        writer = LakeWriter(root / "lake")
        setup = open_detection_stage(registry, writer, DetectionSettings(
            content=(probe_tree.parent, *args.content), store_url=args.store or f"sqlite:///{root / 'onca.db'}",
            kv_url=f"sqlite:///{root / 'kv.db'}", destinations_file=root / "destinations.yml",
            workers=args.workers))
        print(f"rules loaded: {setup.rules}; {args.rate:,} events/s for {args.seconds:g} s, "
              f"{args.probes_per_second} probes/s, batch delay {args.batch_delay:g} s")
        pipeline = Pipeline(registry, [LakeSink(registry, writer), setup.stage], max_batch_delay=args.batch_delay)
        sent: dict[str, float] = {}
        ordinary = background(int(args.rate * args.seconds))
        started = time.perf_counter()
        stats = pipeline.ingest_records(paced_stream(args.rate, ordinary, args.probes_per_second, sent),
                                        Source(("AWS.CloudTrail",)))
        fed = time.perf_counter() - started
        setup.stage.close(timeout=60)
        writer.close()

    arrived: dict[str, float] = {}
    deadline = time.time() + 10
    while len(arrived) < len(sent) and time.time() < deadline:
        try:
            probe, _alert, when = results.get(timeout=1)
        except Exception:  # noqa: BLE001 - queue.Empty: keep waiting until the deadline
            continue
        arrived[probe] = when
    floor = baseline(url, 200)
    server.terminate()

    latencies = [arrived[p] - sent[p] for p in sent if p in arrived]
    print(f"fed {stats.events:,} events in {fed:.1f} s ({stats.events / fed:,.0f} events/s achieved)")
    print(f"probes: {len(sent)} sent, {len(latencies)} alerts received; all rules: {setup.stage.counts['match']:,} "
          f"matches, {setup.stage.counts['alerts']:,} alerts")
    if not latencies:
        sys.exit("no alerts arrived")
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    f50, f99 = statistics.median(floor), percentile(floor, 0.99)
    print(f"pipeline -> webhook  p50 {p50 * 1000:8.1f} ms   p99 {p99 * 1000:8.1f} ms   max {max(latencies) * 1000:8.1f} ms")
    print(f"baseline direct POST p50 {f50 * 1000:8.1f} ms   p99 {f99 * 1000:8.1f} ms")
    print(f"ratio p99 / baseline p99: {p99 / f99:,.1f}x; target p99 under 2000 ms: "
          f"{'met' if p99 < 2.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
