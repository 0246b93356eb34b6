"""The rule for amending an activity its direct superior sent back for revision.

A revision is not a new report: the activity keeps its id, owner and source, and goes back
to pending. The amended content passes the checks a report passes (minute bounds, the day's
total without the activity's old minutes, the period open). The backdating window guards
*moving* the work to another day; an unchanged day was inside the window when it was
reported, and an owner must be able to answer a revision request that came late.
"""

from dataclasses import dataclass
from datetime import date

from services.intake.domain import commands as c
from services.intake.domain.checks import check_minutes, check_work_date, require
from services.intake.domain.errors import conflict, forbidden, not_found
from services.intake.domain.facts import ActivityFacts
from shared.auth import Principal
from shared.authority import allows
from shared.events import ActivityRevised
from shared.periods import period_of
from shared.policy import Policy


@dataclass(frozen=True)
class RevisionFacts:
    activity: ActivityFacts
    status: str
    minutes_that_day: int
    """Minutes counted on the amended work day, without this activity's own."""
    period_closed: bool
    """The activity's period as it stands (before the revision) is closed."""
    new_period_closed: bool
    """The period of the amended work day is closed."""
    policy: Policy
    """The policy governing the amended work day."""


def revise_activity(cmd: c.ReviseActivity, principal: Principal, facts: RevisionFacts | None,
                    today: date) -> ActivityRevised:
    require(principal, "report_own_activity", "report_for_source")
    if facts is None:
        raise not_found("unknown_activity", "activity_id: no such activity", "activity_id")
    activity = facts.activity
    _check_owner(principal, activity)
    if facts.status != "revision_requested":
        raise conflict("not_revision_requested",
                       f"activity_id: the activity is {facts.status}; only an activity sent "
                       "back for revision can be revised", "activity_id")
    if facts.period_closed:
        raise conflict("period_closed",
                       f"activity_id: period {period_of(activity.work_date)} is closed",
                       "activity_id")
    check_minutes(cmd.minutes, facts.minutes_that_day, facts.policy)
    work_date = cmd.work_date or activity.work_date
    if work_date != activity.work_date:
        check_work_date(work_date, facts.new_period_closed, facts.policy, today)
    return ActivityRevised(activity_id=cmd.activity_id, nip=activity.nip, work_date=work_date,
                           minutes=cmd.minutes, description=cmd.description, output=cmd.output)


def _check_owner(principal: Principal, activity: ActivityFacts) -> None:
    """Whoever may report an activity may revise it: the owner, or its e-service."""
    if allows(principal.role, "report_for_source"):
        if activity.source != principal.source:
            raise forbidden("not_own_source",
                            "an e-service revises only activities it reported itself")
    elif activity.nip != principal.subject:
        raise forbidden("not_own_activity", "only the owner revises their activity")
