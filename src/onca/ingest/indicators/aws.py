"""AWS indicators: ARNs (with the account, EC2 instance and role-session email inside them), account ids,
instance ids and tags.

ARN layout: arn:partition:service:region:account-id:resource, where the resource may itself hold ':' and '/'
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html). Region and account are empty for global
resources such as S3 buckets (arn:aws:s3:::bucket/key).
"""

from __future__ import annotations

import re

from onca.ingest.indicators.base import (
    AWS_ACCOUNT_IDS,
    AWS_ARNS,
    AWS_INSTANCE_IDS,
    EMAILS,
    NO_HITS,
    Found,
    Hits,
    add,
    scanner_from,
)
from onca.ingest.indicators.values import is_email

_ARN = re.compile(r"arn:([a-z][a-z0-9-]*):([a-z0-9][a-z0-9.-]*):([a-z0-9-]*):([^:\s]*):(\S.*)")
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
# EC2 instance ids: i- and 8 hex digits (older) or 17 (since 2016).
_INSTANCE_ID = re.compile(r"i-(?:[0-9a-fA-F]{17}|[0-9a-fA-F]{8})")


def _arn_parts(text: str) -> tuple[str, re.Match[str]] | None:
    v = text.strip()
    if not v.startswith("arn:"):
        return None
    match = _ARN.fullmatch(v)
    return None if match is None else (v, match)


def parse_arn(text: str) -> Hits:
    """An ARN, plus the account id, EC2 instance id and assumed-role session email it contains."""
    parts = _arn_parts(text)
    if parts is None:
        return NO_HITS
    arn, match = parts
    _, service, _, account, resource = match.groups()
    hits = [(AWS_ARNS, arn)]
    if _ACCOUNT_ID.fullmatch(account):
        hits.append((AWS_ACCOUNT_IDS, account))
    if resource.startswith("instance/"):
        instance = resource.rpartition("/")[2]
        if _INSTANCE_ID.fullmatch(instance):
            hits.append((AWS_INSTANCE_IDS, instance.lower()))
    elif service == "sts" and resource.startswith("assumed-role/"):
        # arn:aws:sts::123456789012:assumed-role/RoleName/session, where SSO and federation put the user's email
        session = resource.rpartition("/")[2]
        if is_email(session):
            hits.append((EMAILS, session))
    return tuple(hits)


def parse_arn_only(text: str) -> Hits:
    """An ARN, and nothing extracted from inside it."""
    parts = _arn_parts(text)
    return NO_HITS if parts is None else ((AWS_ARNS, parts[0]),)


def scan_account_id(value: str, found: Found) -> None:
    """A 12-digit AWS account id."""
    if len(value) != 12:
        value = value.strip()
    if _ACCOUNT_ID.fullmatch(value):
        add(found, AWS_ACCOUNT_IDS, value)


def scan_instance_id(value: str, found: Found) -> None:
    """An EC2 instance id (i- and 8 or 17 hex digits), lower-cased."""
    v = value.strip()
    if _INSTANCE_ID.fullmatch(v):
        add(found, AWS_INSTANCE_IDS, v.lower())


scan_arn = scanner_from(parse_arn)
scan_arn_only = scanner_from(parse_arn_only)
