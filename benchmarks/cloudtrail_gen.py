"""Synthetic but realistic CloudTrail records (about 1 KB each) for benchmarks."""

from __future__ import annotations

import gzip
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

EVENTS = [
    ("signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn"),
    ("s3.amazonaws.com", "GetObject", "AwsApiCall"),
    ("s3.amazonaws.com", "PutBucketPolicy", "AwsApiCall"),
    ("iam.amazonaws.com", "CreateUser", "AwsApiCall"),
    ("iam.amazonaws.com", "AttachUserPolicy", "AwsApiCall"),
    ("ec2.amazonaws.com", "RunInstances", "AwsApiCall"),
    ("ec2.amazonaws.com", "DescribeInstances", "AwsApiCall"),
    ("sts.amazonaws.com", "AssumeRole", "AwsApiCall"),
    ("kms.amazonaws.com", "Decrypt", "AwsApiCall"),
    ("cloudtrail.amazonaws.com", "StopLogging", "AwsApiCall"),
    ("lambda.amazonaws.com", "Invoke", "AwsApiCall"),
    ("guardduty.amazonaws.com", "ListDetectors", "AwsApiCall"),
]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
AGENTS = ["aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.ubuntu.22", "Boto3/1.34.0 Python/3.11.7",
          "console.amazonaws.com", "terraform-provider-aws/5.31.0"]


# An organization's trail: a few dozen accounts, hundreds of principals, thousands of instances and addresses.
ACCOUNTS = [f"{100000000000 + 7919 * i:012d}" for i in range(24)]


def make_event(rng: random.Random, when: datetime) -> dict:
    source, name, etype = rng.choice(EVENTS)
    account = rng.choice(ACCOUNTS)
    user = f"user{rng.randrange(500)}"
    role = f"role-{rng.randrange(40)}"
    ip = f"{rng.choice((192, 198, 203))}.{rng.randrange(4)}.{rng.randrange(16)}.{rng.randrange(1, 255)}"
    instance = f"i-{rng.randrange(3000) * 7919:017x}"
    return {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROA{rng.getrandbits(64):016X}:{user}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{user}",
            "accountId": account,
            "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": f"AROA{rng.getrandbits(64):016X}",
                                  "arn": f"arn:aws:iam::{account}:role/{role}", "accountId": account,
                                  "userName": role},
                "attributes": {"creationDate": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "mfaAuthenticated": rng.choice(["true", "false"])},
            },
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": rng.choice(REGIONS),
        "sourceIPAddress": ip,
        "userAgent": rng.choice(AGENTS),
        "requestParameters": {"bucketName": f"bucket-{rng.randrange(100)}", "key": f"data/{rng.randrange(10**6)}.csv",
                              "instancesSet": {"items": [{"instanceId": instance}]},
                              "filterSet": {"items": [{"name": "tag:env", "valueSet": {"items": [{"value": "prod"}]}}]}},
        "responseElements": None if rng.random() < 0.5 else {"credentials": {"expiration": "Nov 27, 2026 1:00:00 PM",
                                                                             "sessionToken": "x" * 40}},
        "requestID": f"{rng.getrandbits(128):032x}",
        "eventID": f"{rng.getrandbits(128):032x}",
        "readOnly": name.startswith(("Get", "Describe", "List")),
        "resources": [{"accountId": account, "type": "AWS::EC2::Instance",
                       "ARN": f"arn:aws:ec2:us-east-1:{account}:instance/{instance}"}],
        "eventType": etype,
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{source.split('.')[0]}.{rng.choice(REGIONS)}.amazonaws.com"},
    }


def write_file(path: Path, count: int, seed: int = 7) -> int:
    """Write `count` events as gzip NDJSON; returns the uncompressed size in bytes."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 27, tzinfo=UTC)
    size = 0
    with gzip.open(path, "wb", compresslevel=1) as out:
        chunk = []
        for i in range(count):
            line = orjson.dumps(make_event(rng, start + timedelta(seconds=i * 3600 * 6 / max(count, 1)))) + b"\n"
            size += len(line)
            chunk.append(line)
            if len(chunk) >= 10_000:
                out.write(b"".join(chunk))
                chunk = []
        out.write(b"".join(chunk))
    return size
