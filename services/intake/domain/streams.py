"""The event streams intake writes: one per employee, activity, 360 review, period, and one
for the policy. A stream's versions give each decision its optimistic-concurrency check."""

import uuid

POLICY_STREAM = "policy"


def employee_stream(nip: str) -> str:
    return f"employee-{nip}"


def activity_stream(activity_id: uuid.UUID) -> str:
    return f"activity-{activity_id}"


def review_stream(period: str, rater_nip: str, ratee_nip: str) -> str:
    return f"review-{period}-{rater_nip}-{ratee_nip}"


def period_stream(period: str) -> str:
    return f"period-{period}"
