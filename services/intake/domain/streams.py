"""The event streams intake writes: one per employee, activity, 360 review, period, and one
for the policy. A stream's versions give each decision its optimistic-concurrency check."""

import json
import uuid

POLICY_STREAM = "policy"


def employee_stream(nip: str) -> str:
    return f"employee-{nip}"


def activity_stream(activity_id: uuid.UUID) -> str:
    return f"activity-{activity_id}"


def review_stream(period: str, rater_nip: str, ratee_nip: str) -> str:
    return f"review-{period}-{rater_nip}-{ratee_nip}"


def acting_stream(head_nip: str) -> str:
    """A head's acting appointments, in order: its versions serialise the overlap check."""
    return f"acting-{head_nip}"


def payment_stream(period: str, unit: str) -> str:
    """A unit's payment orders (SP2D) for a month: a later one corrects the earlier."""
    return f"payment-{period}-{unit}"


def skp_stream(nip: str, period: str) -> str:
    """An employee's SKP for a period: its plan, realisations, validations and ratings."""
    return f"skp-{nip}-{period}"


def unit_predicate_stream(unit: str, period: str) -> str:
    """A unit's organisational predicate for a period, as recorded and corrected."""
    return f"unit-predicate-{period}-{unit}"


def objection_stream(period: str, nip: str) -> str:
    """An employee's objection to a month: version 1 filed, 2 decided."""
    return f"objection-{period}-{nip}"


def erasure_stream(nip: str) -> str:
    """A person's erasure: version 1 requested, 2 done (the key destroyed)."""
    return f"erasure-{nip}"


def period_stream(period: str) -> str:
    return f"period-{period}"


def attendance_stream(source: str, device_record_id: str) -> str:
    """One record of an attendance source: version 1 is its only event. Named by a UUID of
    the pair, so no source and id ever share a stream ('a-b' + 'c' and 'a' + 'b-c')."""
    pair = json.dumps([source, device_record_id])
    return f"attendance-{uuid.uuid5(uuid.NAMESPACE_URL, pair)}"


def justification_stream(justification_id: uuid.UUID) -> str:
    return f"justification-{justification_id}"


def distribution_stream(period: str) -> str:
    """The curve checks recorded before a period's close (a refused close's check too)."""
    return f"distribution-{period}"
