"""Projection rules: how each event changes the read model. Pure: works on a ``Workset``,
the rows a batch touches, loaded beforehand by the adapter and written back afterwards."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.envelope import EventEnvelope
from shared.events import (
    ActivityReported,
    ActivityRevised,
    BehaviourReview,
    EmployeeRegistered,
    Event,
    PeriodClosed,
    PolicyPublished,
    ReportingLineChanged,
    ReviewSubmitted,
    ValidationReview,
)

Row = dict[str, Any]
MINUTE_COLUMNS = {"pending": "pending_minutes", "approved": "approved_minutes",
                  "rejected": "rejected_minutes", "revision_requested": "revision_minutes",
                  "not_validated": "not_validated_minutes"}
OPEN_STATUSES = ("pending", "revision_requested")
"""Waiting for the superior (or, sent back, for the owner): at the period's close such an
activity becomes ``not_validated`` (not validated in time) and leaves the queue."""


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class Sweep:
    """Recompute eligibility on one partition after a broadcast event.

    A period close covers every employee of the partition on the roster at that point of
    the stream (``registered_before`` of this batch's registrations came before it); a
    policy covers every employee-month that has figures or a row from ``period`` on. Both
    depend only on the event order, never on how the stream was cut into batches.
    """

    partition: int
    period: str
    closing: bool
    registered_before: int = 0


@dataclass
class Workset:
    """Rows of one batch, keyed by primary key; ``dirty`` says which to write back."""

    activities: dict[str, Row] = field(default_factory=dict)
    partition_of: dict[str, int] = field(default_factory=dict)
    """Activity id -> the partition its events arrive on (a close covers its own)."""
    months: dict[tuple[str, str], Row] = field(default_factory=dict)
    employees: dict[str, Row] = field(default_factory=dict)
    lines: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    reviews: dict[tuple[str, str, str], Row] = field(default_factory=dict)
    policies: dict[str, Row] = field(default_factory=dict)
    closed: dict[str, Row] = field(default_factory=dict)
    history: list[Row] = field(default_factory=list)
    new_lines: list[Row] = field(default_factory=list)
    dirty: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))
    touched: set[tuple[str, str]] = field(default_factory=set)
    """(nip, period) whose eligibility must be recomputed."""
    sweeps: list["Sweep"] = field(default_factory=list)
    """Eligibility recomputations that broadcast events ask for."""
    registered: list[str] = field(default_factory=list)
    """NIPs registered in this batch, in order (a sweep covers those before it)."""
    known_before: set[str] = field(default_factory=set)
    """Of ``registered``, those already on the roster before this batch."""

    def superior_on(self, nip: str, day: date) -> str | None:
        current = [line for line in self.lines.get(nip, []) if line["effective_from"] <= day]
        return max(current, key=lambda line: line["effective_from"])["superior_nip"] \
            if current else None

    def month(self, nip: str, period: str) -> Row:
        key = (nip, period)
        if key not in self.months:
            self.months[key] = {"nip": nip, "period": period, "pending_minutes": 0,
                                "approved_minutes": 0, "rejected_minutes": 0,
                                "revision_minutes": 0, "not_validated_minutes": 0,
                                "activities": 0}
        self.dirty["months"].add(key)
        return self.months[key]


def apply(ws: Workset, envelope: EventEnvelope, event: Event, partition: int) -> None:
    """Apply one event (already deduplicated) to the workset."""
    match event:
        case EmployeeRegistered():
            ws.employees[event.nip] = {**event.model_dump(), "partition": partition}
            ws.dirty["employees"].add(event.nip)
            ws.registered.append(event.nip)
        case ReportingLineChanged():
            line = event.model_dump()
            ws.lines[event.nip] = [x for x in ws.lines[event.nip]
                                   if x["effective_from"] != event.effective_from] + [line]
            ws.new_lines.append(line)
        case ActivityReported():
            _reported(ws, envelope, event)
            ws.partition_of[str(event.activity_id)] = partition
        case ActivityRevised():
            _revised(ws, envelope, event)
            ws.partition_of[str(event.activity_id)] = partition
        case ReviewSubmitted(review=ValidationReview() as review):
            _validated(ws, envelope, review)
            ws.partition_of[str(review.activity_id)] = partition
        case ReviewSubmitted(review=BehaviourReview() as review):
            key = (review.period, review.ratee_nip, review.rater_nip)
            ws.reviews[key] = {"period": review.period, "ratee_nip": review.ratee_nip,
                               "rater_nip": review.rater_nip, "relation": review.relation,
                               "scores": dict(review.scores), "position": envelope.position}
            ws.dirty["reviews"].add(key)
            ws.touched.add((review.ratee_nip, review.period))
        case PolicyPublished():
            ws.policies[event.version] = {"version": event.version, "document": event.document,
                                          "effective_from": event.effective_from,
                                          "position": envelope.position}
            ws.dirty["policies"].add(event.version)
            ws.sweeps.append(Sweep(partition, event.effective_from, closing=False))
        case PeriodClosed():
            ws.closed[event.period] = {"period": event.period, "position": envelope.position}
            ws.dirty["closed"].add(event.period)
            _close_open_activities(ws, envelope, event.period, partition)
            ws.sweeps.append(Sweep(partition, event.period, closing=True,
                                   registered_before=len(ws.registered)))


def _reported(ws: Workset, envelope: EventEnvelope, event: ActivityReported) -> None:
    period = period_of(event.work_date)
    key = str(event.activity_id)
    ws.activities[key] = {
        "activity_id": key, "nip": event.nip,
        "superior_nip": ws.superior_on(event.nip, event.work_date),
        "work_date": event.work_date, "period": period, "minutes": event.minutes,
        "description": event.description, "source": event.source,
        "external_ref": event.external_ref, "status": "pending",
        "reported_at": envelope.occurred_at, "decided_by": None, "decided_at": None,
        "note": None, "position": envelope.position,
    }
    ws.dirty["activities"].add(key)
    month = ws.month(event.nip, period)
    month["pending_minutes"] += event.minutes
    month["activities"] += 1
    _history(ws, key, envelope, "pending", None)
    ws.touched.add((event.nip, period))


def _validated(ws: Workset, envelope: EventEnvelope, review: ValidationReview) -> None:
    key = str(review.activity_id)
    activity = ws.activities.get(key)
    if activity is None:  # intake checked it exists; only a truncated history gets here
        return
    month = ws.month(activity["nip"], activity["period"])
    month[MINUTE_COLUMNS[activity["status"]]] -= activity["minutes"]
    month[MINUTE_COLUMNS[review.decision]] += activity["minutes"]
    activity.update(status=review.decision, decided_by=review.reviewer_nip,
                    decided_at=envelope.occurred_at, note=review.note,
                    position=envelope.position)
    ws.dirty["activities"].add(key)
    _history(ws, key, envelope, review.decision, review.note)
    ws.touched.add((activity["nip"], activity["period"]))


def _close_open_activities(ws: Workset, envelope: EventEnvelope, period: str,
                           partition: int) -> None:
    """Activities of the partition still waiting at the close were not validated in time.
    The adapter loaded every such activity of the period before the batch; those reported
    or decided earlier in the batch are in the workset as they stand now."""
    for key, activity in ws.activities.items():
        if (activity["period"] == period and activity["status"] in OPEN_STATUSES
                and ws.partition_of.get(key) == partition):
            month = ws.month(activity["nip"], period)
            month[MINUTE_COLUMNS[activity["status"]]] -= activity["minutes"]
            month["not_validated_minutes"] += activity["minutes"]
            activity.update(status="not_validated", position=envelope.position)
            ws.dirty["activities"].add(key)
            _history(ws, key, envelope, "not_validated", None)


def _revised(ws: Workset, envelope: EventEnvelope, event: ActivityRevised) -> None:
    """Back to pending with the amended content: its minutes leave the month (and status)
    they counted in and join the amended day's month as pending; the superior is the one
    on the amended day."""
    key = str(event.activity_id)
    activity = ws.activities.get(key)
    if activity is None:  # intake checked it exists; only a truncated history gets here
        return
    was = ws.month(activity["nip"], activity["period"])
    was[MINUTE_COLUMNS[activity["status"]]] -= activity["minutes"]
    was["activities"] -= 1
    ws.touched.add((activity["nip"], activity["period"]))
    period = period_of(event.work_date)
    now = ws.month(event.nip, period)
    now["pending_minutes"] += event.minutes
    now["activities"] += 1
    activity.update(superior_nip=ws.superior_on(event.nip, event.work_date),
                    work_date=event.work_date, period=period, minutes=event.minutes,
                    description=event.description, status="pending", decided_by=None,
                    decided_at=None, note=None, position=envelope.position)
    ws.dirty["activities"].add(key)
    _history(ws, key, envelope, "pending", None)
    ws.touched.add((event.nip, period))


def _history(ws: Workset, key: str, envelope: EventEnvelope, status: str,
             note: str | None) -> None:
    ws.history.append({"activity_id": key, "position": envelope.position, "status": status,
                       "actor": envelope.actor, "at": envelope.occurred_at, "note": note})
