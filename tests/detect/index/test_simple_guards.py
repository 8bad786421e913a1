"""Guards read from simple detections and InlineFilters, as the simple-detection compiler runs them."""

from __future__ import annotations

import pytest

RULE = """
def rule(event):
    return event.get("eventName") == "CreateUser"
"""


@pytest.mark.parametrize(
    ("detection", "guard"),
    [
        (
            """
            Detection:
              - Key: eventName
                Condition: Equals
                Value: ConsoleLogin
            """,
            # loose_equal lets a number or boolean equal a string ("403" == 403): non-text values stay.
            "eventName in {'ConsoleLogin', non-text}",
        ),
        (
            """
            Detection:
              - DeepKey: [userIdentity, type]
                Condition: IsIn
                Values: [Root, IAMUser]
            """,
            "userIdentity.type in {'IAMUser', 'Root', non-text}",
        ),
        (
            """
            Detection:
              - KeyPath: userIdentity.arn
                Condition: StartsWith
                Value: "arn:aws:iam::"
            """,
            "userIdentity.arn in {'arn:aws:iam::'..., non-text}",
        ),
        (
            """
            Detection:
              - Any:
                  - Key: eventName
                    Condition: Equals
                    Value: A
                  - Key: eventSource
                    Condition: Equals
                    Value: s3.amazonaws.com
            """,
            "eventName in {'A', non-text} or eventSource in {'s3.amazonaws.com', non-text}",
        ),
        (
            """
            Detection:
              - None:
                  - Key: eventName
                    Condition: DoesNotEqual
                    Value: A
            """,
            "eventName in {'A', non-text}",
        ),
    ],
)
def test_index_reads_simple_detections(guard_of, detection, guard):
    assert guard_of(None, spec=detection).describe() == guard


@pytest.mark.parametrize(
    "detection",
    [
        # A digit step past the first also indexes lists; deep_get does not.
        """
        Detection:
          - KeyPath: resources.0.type
            Condition: Equals
            Value: AWS::S3::Bucket
        """,
        """
        Detection:
          - KeyPath: resources[*].type
            Condition: Equals
            Value: AWS::S3::Bucket
        """,
        """
        Detection:
          - Key: count
            Condition: Equals
            Value: 5
        """,
        """
        Detection:
          - Key: eventName
            Condition: IEquals
            Value: consolelogin
        """,
    ],
)
def test_index_leaves_other_simple_conditions_unguarded(guard_of, detection):
    assert not guard_of(None, spec=detection).guarded


def test_index_lets_a_missing_key_through_inline_filters(guard_of):
    filters = """
        InlineFilters:
          - Key: eventSource
            Condition: Equals
            Value: iam.amazonaws.com
        """
    # The filter passes events without an eventSource; both must hold for the rule to run.
    report = guard_of(RULE.replace('"CreateUser"', '"CreateUser" or True'), spec=filters)
    assert report.describe() == "eventSource in {'iam.amazonaws.com', missing/null, non-text}"
    assert guard_of(RULE, spec=filters).describe() == (
        "eventName in {'CreateUser'} and eventSource in {'iam.amazonaws.com', missing/null, non-text}"
    )


def test_index_leaves_unreadable_inline_filters_to_the_rule(guard_of):
    filters = """
        InlineFilters:
          - Key: eventSource
            Condition: Contains
            Value: iam
        """
    assert guard_of(RULE, spec=filters).describe() == "eventName in {'CreateUser'}"
