"""AWS indicators: ARNs (with the account, EC2 instance and role-session email inside them), account ids and
EC2 instance ids. Tags are recorded as given (`base.verbatim`).

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
# EC2 instance ids: i- and 8 hex digits (older) or 17 (since 2016).
_INSTANCE_ID = re.compile(r"i-(?:[0-9a-fA-F]{17}|[0-9a-fA-F]{8})")


def _is_account_id(text: str) -> bool:
    return len(text) == 12 and text.isascii() and text.isdigit()


def parse_arn(text: str) -> Hits:
    """An ARN, plus the account id, EC2 instance id and assumed-role session email it contains."""
    match = _ARN.fullmatch(text.strip())
    if match is None:
        return NO_HITS
    arn, service, account, resource = match.group(0, 2, 4, 5)
    hits: Hits = ((AWS_ARNS, arn),)
    if _is_account_id(account):
        hits += ((AWS_ACCOUNT_IDS, account),)
    if resource.startswith("instance/"):
        instance = resource.rpartition("/")[2]
        if _INSTANCE_ID.fullmatch(instance):
            hits += ((AWS_INSTANCE_IDS, instance.lower()),)
    elif service == "sts" and resource.startswith("assumed-role/"):
        # arn:aws:sts::123456789012:assumed-role/RoleName/session, where SSO and federation put the user's email
        session = resource.rpartition("/")[2]
        if is_email(session):
            hits += ((EMAILS, session),)
    return hits


def parse_arn_only(text: str) -> Hits:
    """An ARN, and nothing extracted from inside it."""
    match = _ARN.fullmatch(text.strip())
    return NO_HITS if match is None else ((AWS_ARNS, match.group(0)),)


def scan_account_id(value: str, found: Found) -> None:
    """A 12-digit AWS account id."""
    if len(value) != 12:
        value = value.strip()
    if _is_account_id(value):
        add(found, AWS_ACCOUNT_IDS, value)


def scan_instance_id(value: str, found: Found) -> None:
    """An EC2 instance id (i- and 8 or 17 hex digits), lower-cased."""
    v = value.strip()
    if _INSTANCE_ID.fullmatch(v):
        add(found, AWS_INSTANCE_IDS, v.lower())


scan_arn = scanner_from(parse_arn)
scan_arn_only = scanner_from(parse_arn_only)
