"""An activity as the write model keeps it, and the rules about its state: which of its
minutes count toward the day's total, what a retry must repeat, what a decision and a
revision change."""

import uuid
from dataclasses import dataclass, replace
from datetime import date

from services.intake.domain.commands import ReportActivity
from services.intake.domain.errors import conflict
from services.intake.domain.facts import ActivityFacts

DayMinutes = tuple[str, date, int]
"""(nip, work_date, change): a change to the minutes counted on an employee's day."""


@dataclass(frozen=True)
class Activity:
    activity_id: uuid.UUID
    nip: str
    work_date: date
    minutes: int
    source: str
    external_ref: str | None
    status: str
    version: int
    event_id: uuid.UUID
    reported_work_date: date | None = None
    """As first reported, once a revision changed the activity (else None: unchanged)."""
    reported_minutes: int | None = None

    def facts(self) -> ActivityFacts:
        return ActivityFacts(str(self.activity_id), self.nip, self.work_date, self.source)

    def as_reported(self) -> tuple[date, int]:
        """(work_date, minutes) of the original report, which a retry repeats."""
        return (self.reported_work_date or self.work_date,
                self.reported_minutes if self.reported_minutes is not None else self.minutes)

    def counted_minutes(self) -> int:
        """The minutes it adds to its day's total: rejected work does not count."""
        return 0 if self.status == "rejected" else self.minutes

    def minutes_counted_on(self, day: date) -> int:
        return self.counted_minutes() if day == self.work_date else 0

    def decided(self, decision: str, version: int) -> "Activity":
        return replace(self, status=decision, version=version)

    def revised(self, work_date: date, minutes: int, version: int) -> "Activity":
        """Amended and pending again; the original report is kept for retries."""
        reported_work_date, reported_minutes = self.as_reported()
        return replace(self, work_date=work_date, minutes=minutes, status="pending",
                       version=version, reported_work_date=reported_work_date,
                       reported_minutes=reported_minutes)


def reported(cmd: ReportActivity, source: str, event_id: uuid.UUID) -> Activity:
    """A newly reported activity: pending, version 1."""
    return Activity(cmd.activity_id, cmd.nip, cmd.work_date, cmd.minutes, source,
                    cmd.external_ref, "pending", 1, event_id)


def check_retry(existing: Activity, cmd: ReportActivity, source: str) -> None:
    """A report whose activity_id or (source, external_ref) is used must repeat the original
    report (a retry, answered the same); otherwise it is refused.

    A retry matched by its external_ref may carry a fresh activity_id (the e-service
    regenerated it), so the activity_id itself is not compared."""
    same = (existing.nip, *existing.as_reported(), existing.source) == (
        cmd.nip, cmd.work_date, cmd.minutes, source)
    if not same:
        raise conflict("duplicate_activity",
                       "activity_id or (source, external_ref) already used by another activity",
                       "activity_id")


def day_minute_changes(before: Activity | None, after: Activity) -> list[DayMinutes]:
    """How the days' totals change when ``before`` becomes ``after`` (None: a new report):
    the old counted minutes leave the old day, the new ones join the new day."""
    changes: dict[tuple[str, date], int] = {}
    if before is not None and before.counted_minutes():
        changes[(before.nip, before.work_date)] = -before.counted_minutes()
    key = (after.nip, after.work_date)
    changes[key] = changes.get(key, 0) + after.counted_minutes()
    return [(nip, day, change) for (nip, day), change in changes.items() if change]
