"""Commands intake accepts: imperative, validated for shape here, for rules in ``rules``.

Every command subclasses ``Command``, whose config is strict (see ``shared.strict``): a
field of type int, float, bool, str, list, dict or Literal takes exactly that JSON type and
unknown fields are refused. Dates and UUIDs must be typed ``IsoDate`` / ``IsoUuid``
(re-exported here): a bare ``date`` or ``UUID`` would refuse every ISO string over HTTP.
"""

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from shared.events import Decision, EmploymentType, Nip, Period
from shared.strict import STRICT_INPUT
from shared.strict import IsoDate as IsoDate
from shared.strict import IsoUuid as IsoUuid

# PostgreSQL text cannot hold NUL, and no human text needs control characters.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$")]


class Command(BaseModel):
    """Base of every command and request body: strict types, no unknown fields."""

    model_config = STRICT_INPUT


class RegisterEmployee(Command):
    """Add an employee to the roster (or correct their details)."""

    nip: Nip = Field(description="18-digit NIP; dates and gender digit are checked.")
    name: Annotated[Text, Field(min_length=1, max_length=200)] = Field(description="Full name.")
    unit: Annotated[Text, Field(min_length=1, max_length=100)] = Field(description="Unit code.")
    position: Annotated[Text, Field(min_length=1, max_length=200)] = Field(description="Job title.")
    structural: bool = Field(False, description="Holds a structural (leadership) position.")
    employment_type: EmploymentType = Field("PNS", description="PNS, PPPK or CPNS.")
    job_class: int = Field(1, ge=1, le=17, description="Kelas jabatan 1..17.")


class ChangeReportingLine(Command):
    """From ``effective_from`` on, ``nip`` reports to ``superior_nip`` (or to nobody)."""

    nip: Nip = Field(description="The subordinate.")
    superior_nip: Nip | None = Field(description="The new direct superior; null for none.")
    effective_from: IsoDate = Field(description="First day the line holds.")


class ReportActivity(Command):
    """Report one work activity of one employee."""

    activity_id: IsoUuid = Field(
        description="Client-chosen id: a retry with it is answered the same."
    )
    nip: Nip = Field(description="Employee who did the work.")
    work_date: IsoDate = Field(description="Day the work was done.")
    minutes: int = Field(ge=1, le=1440, description="Effective minutes spent.")
    description: Annotated[Text, Field(min_length=1, max_length=500)] = Field(
        description="What was done."
    )
    output: Annotated[Text, Field(max_length=200)] | None = Field(None, description="Output.")
    external_ref: Annotated[Text, Field(min_length=1, max_length=100)] | None = Field(
        None, description="e-service transaction id; (source, external_ref) is idempotent too."
    )


class DecideActivity(Command):
    """The direct superior approves, rejects or asks to revise an activity."""

    activity_id: IsoUuid = Field(description="The activity decided on.")
    decision: Decision = Field(description="approved, rejected or revision_requested.")
    note: Annotated[Text, Field(max_length=500)] | None = Field(None, description="Reason.")


class ActivityRevision(Command):
    """The amended content of an activity sent back for revision (the HTTP body)."""

    minutes: int = Field(ge=1, le=1440, description="Effective minutes spent, as amended.")
    description: Annotated[Text, Field(min_length=1, max_length=500)] = Field(
        description="What was done, as amended."
    )
    output: Annotated[Text, Field(max_length=200)] | None = Field(None, description="Output.")
    work_date: IsoDate | None = Field(
        None, description="The day the work was done, if it was another day; omitted keeps it."
    )


class ReviseActivity(ActivityRevision):
    """The owner amends an activity sent back for revision; it waits for validation again."""

    activity_id: IsoUuid = Field(description="The activity amended.")


class SubmitBehaviourReview(Command):
    """Rate a colleague's work behaviour for a month (360°). The relation is derived."""

    period: Period = Field(description="Month rated, YYYY-MM.")
    ratee_nip: Nip = Field(description="Colleague rated.")
    scores: dict[Annotated[str, Field(max_length=50)], Annotated[int, Field(ge=0, le=100)]] = (
        Field(description="Indicator -> score 0..100, for the policy's indicator set.")
    )
    comment: Annotated[Text, Field(max_length=1000)] | None = Field(None, description="Comment.")


class ClosePeriod(Command):
    """Lock a month: nothing in it may change afterwards."""

    period: Period = Field(description="Month to close, YYYY-MM.")
