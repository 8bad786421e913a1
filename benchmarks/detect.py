"""Live detection throughput with the rule index against every rule on every event, on one core.

All enabled AWS.CloudTrail rules of a panther-analysis tree (--content, else $ONCA_PANTHER_ANALYSIS, else
/work/panther-analysis when present, else pypanther's own CloudTrail rules) run over a synthetic CloudTrail
stream: mostly common reads (Describe*, Get*, List*, AssumeRole), some writes and console logins, a few
errors. The engine runs in this process (workers=0); throughput is events per CPU-second (process time).
The baseline, measured in the same run (the runs of the two alternate), is the same engine with
use_index=False. Both must give identical findings. --explain lists every rule's guard (or why it has
none) and exits.

    python benchmarks/detect.py [--events 20000] [--content PATH] [--explain] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from cloudtrail_gen import make_event  # noqa: E402

from onca.detect.engine import Engine, EngineContent, EngineOptions, load_engine_content  # noqa: E402
from onca.detect.index import explain  # noqa: E402

LOG_TYPE = "AWS.CloudTrail"
DEFAULT_CONTENT = Path("/work/panther-analysis")

# (weight, eventSource, eventName, readOnly): common reads dominate a real trail.
STREAM = [
    (14, "ec2.amazonaws.com", "DescribeInstances", True),
    (6, "ec2.amazonaws.com", "DescribeSecurityGroups", True),
    (4, "ec2.amazonaws.com", "DescribeVolumes", True),
    (4, "ec2.amazonaws.com", "DescribeNetworkInterfaces", True),
    (10, "sts.amazonaws.com", "AssumeRole", False),
    (3, "sts.amazonaws.com", "GetCallerIdentity", True),
    (9, "s3.amazonaws.com", "GetObject", True),
    (3, "s3.amazonaws.com", "ListBuckets", True),
    (3, "s3.amazonaws.com", "GetBucketAcl", True),
    (3, "s3.amazonaws.com", "HeadObject", True),
    (6, "kms.amazonaws.com", "Decrypt", True),
    (3, "kms.amazonaws.com", "GenerateDataKey", True),
    (3, "iam.amazonaws.com", "GetRole", True),
    (2, "iam.amazonaws.com", "ListRoles", True),
    (2, "iam.amazonaws.com", "ListAttachedRolePolicies", True),
    (3, "logs.amazonaws.com", "DescribeLogGroups", True),
    (3, "monitoring.amazonaws.com", "GetMetricData", True),
    (2, "dynamodb.amazonaws.com", "DescribeTable", True),
    (2, "lambda.amazonaws.com", "ListFunctions20150331", True),
    (2, "ssm.amazonaws.com", "GetParameter", True),
    (2, "secretsmanager.amazonaws.com", "GetSecretValue", True),
    (2, "rds.amazonaws.com", "DescribeDBInstances", True),
    (2, "cloudtrail.amazonaws.com", "LookupEvents", True),
    (1, "organizations.amazonaws.com", "DescribeOrganization", True),
    # Writes and rarer calls.
    (2, "s3.amazonaws.com", "PutObject", False),
    (1, "ec2.amazonaws.com", "RunInstances", False),
    (1, "ec2.amazonaws.com", "CreateTags", False),
    (1, "signin.amazonaws.com", "ConsoleLogin", False),
    (0.3, "iam.amazonaws.com", "CreateUser", False),
    (0.3, "iam.amazonaws.com", "AttachRolePolicy", False),
    (0.3, "iam.amazonaws.com", "CreateAccessKey", False),
    (0.2, "iam.amazonaws.com", "PutUserPolicy", False),
    (0.2, "s3.amazonaws.com", "PutBucketPolicy", False),
    (0.2, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", False),
    (0.2, "ec2.amazonaws.com", "ModifyInstanceAttribute", False),
    (0.2, "rds.amazonaws.com", "ModifyDBInstance", False),
    (0.1, "cloudtrail.amazonaws.com", "StopLogging", False),
    (0.1, "kms.amazonaws.com", "ScheduleKeyDeletion", False),
    (0.1, "sts.amazonaws.com", "GetSessionToken", False),
    (0.1, "ssm.amazonaws.com", "SendCommand", False),
]
IDENTITIES = [(70, "AssumedRole"), (15, "IAMUser"), (12, "AWSService"), (2, "FederatedUser"), (1, "Root")]
ERRORS = [(95, None), (3, "AccessDenied"), (1, "ThrottlingException"), (1, "ResourceNotFoundException")]


def _pick(rng: random.Random, table: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return rng.choices(table, weights=[row[0] for row in table])[0]


def synthetic_stream(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2026, 11, 27, tzinfo=UTC)
    events = []
    for n in range(count):
        when = start + timedelta(seconds=n)
        event = make_event(rng, when)
        _, source, name, read_only = _pick(rng, STREAM)
        identity = _pick(rng, IDENTITIES)[1]
        error = _pick(rng, ERRORS)[1]
        event.update(eventSource=source, eventName=name, readOnly=read_only)
        event["userIdentity"]["type"] = identity
        if identity == "AWSService":
            event["userIdentity"] = {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
            event["sourceIPAddress"] = "ec2.amazonaws.com"
        if name == "ConsoleLogin":
            event["responseElements"] = {"ConsoleLogin": "Success" if error is None else "Failure"}
            event["additionalEventData"] = {"MFAUsed": rng.choice(["Yes", "No"])}
        if error is not None:
            event["errorCode"], event["errorMessage"] = error, f"{error} for {name}"
        event.update(
            p_log_type=LOG_TYPE,
            p_event_time=when.strftime("%Y-%m-%d %H:%M:%S.000000"),
            p_row_id=f"{rng.getrandbits(64):016x}",
        )
        events.append(event)
    return events


def cloudtrail_content(content: Path | None) -> tuple[EngineContent, str]:
    path = content or Path(os.environ.get("ONCA_PANTHER_ANALYSIS") or DEFAULT_CONTENT)
    if path.is_dir():
        loaded = load_engine_content([path])
        source = str(path)
    else:
        from onca.detect.pypanther import import_pypanther

        pypanther = import_pypanther()
        rules = [r for r in pypanther.get_panther_rules() if LOG_TYPE in [str(t) for t in r.log_types]]
        loaded = load_engine_content([], pypanther_rules=rules)
        source = "pypanther"
    if loaded.problems:
        print(f"{len(loaded.problems)} content problems (first: {loaded.problems[0]})")
    # Only the CloudTrail rules: a rule of several log types is kept, its other log types dropped.
    only = EngineContent(
        data_models={LOG_TYPE: loaded.data_models[LOG_TYPE]} if LOG_TYPE in loaded.data_models else {}
    )
    for detection in loaded.rules_for(LOG_TYPE):
        only.add(detection, loaded.info[detection.id])
    return only, source


def run(
    content: EngineContent,
    events: list[dict[str, Any]],
    warm_up: list[dict[str, Any]],
    use_index: bool,
    batch: int,
) -> tuple[float, list[Any]]:
    """CPU seconds to evaluate ``events`` in batches, and the findings. ``warm_up`` goes first, untimed:
    the first events pay for opening the caching store and, with the index, reading the data model."""
    with Engine(content, EngineOptions(workers=0, use_index=use_index)) as engine:
        engine.evaluate(LOG_TYPE, warm_up)
        findings: list[Any] = []
        started = time.process_time()
        for offset in range(0, len(events), batch):
            findings += engine.evaluate(LOG_TYPE, events[offset : offset + batch])
        return time.process_time() - started, findings


def signature(finding: Any) -> tuple[Any, ...]:
    return (
        finding.detection_id,
        finding.kind,
        finding.dedup,
        finding.title,
        finding.severity,
        finding.error,
        finding.event.get("p_row_id"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--content", type=Path, default=None, help="a panther-analysis tree")
    parser.add_argument("--batch", type=int, default=1000, help="events per evaluate() call")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs of each")
    parser.add_argument("--explain", action="store_true", help="list every rule's guard and exit")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    content, source = cloudtrail_content(args.content)
    rules = content.rules_for(LOG_TYPE)
    reports = explain(rules, content.data_models.get(LOG_TYPE))
    unguarded = [report for report in reports if not report.guarded]
    if args.explain:
        width = max(len(report.detection_id) for report in reports)
        for report in reports:
            print(f"{report.detection_id:<{width}}  {report.describe()}")
        print(f"{len(reports) - len(unguarded)} of {len(reports)} rules guarded")
        return

    events = synthetic_stream(args.events)
    warm_up = synthetic_stream(500, seed=3)
    # The pre-built stream and the loaded content are long-lived: keep the cyclic garbage collector from
    # walking them over and over, which would charge both runs for this harness's memory, not detection.
    gc.collect()
    gc.freeze()
    print(f"{len(rules)} {LOG_TYPE} rules from {source}; {len(events):,} synthetic events")
    # Alternate the two, so that a change in what else the machine runs weighs on both alike.
    indexed_runs, naive_runs = [], []
    for _ in range(args.repeat):
        indexed_runs.append(run(content, events, warm_up, True, args.batch))
        naive_runs.append(run(content, events, warm_up, False, args.batch))
    indexed_seconds = min(seconds for seconds, _ in indexed_runs)
    naive_seconds = min(seconds for seconds, _ in naive_runs)
    same = [signature(f) for f in indexed_runs[0][1]] == [signature(f) for f in naive_runs[0][1]]
    indexed_rate, naive_rate = len(events) / indexed_seconds, len(events) / naive_seconds
    print(f"every rule on every event (use_index=False): {naive_rate:>10,.0f} events per CPU-second")
    print(f"rule index (use_index=True):                 {indexed_rate:>10,.0f} events per CPU-second")
    print(
        f"ratio index/every rule: {indexed_rate / naive_rate:.1f}x   (targets: >= 10x and >= 20,000 events/s per core)"
    )
    print(
        f"findings: {len(indexed_runs[0][1]):,} with the index, {len(naive_runs[0][1]):,} without; "
        f"identical: {'yes' if same else 'NO'}"
    )
    print(f"guarded rules: {len(reports) - len(unguarded)} of {len(reports)}; unguarded:")
    for report in unguarded:
        print(f"  {report.detection_id}: {report.reason}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
