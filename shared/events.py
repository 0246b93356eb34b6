"""Domain events: small, frozen, versioned, named in the past tense.

Each class documents its payload field by field; the envelope carries the rest.
"""

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Nip = Annotated[str, StringConstraints(pattern=r"^\d{18}$")]
"""18-digit civil-servant id (NIP). Intake checks its dates; the contract checks its shape."""

Period = Annotated[str, StringConstraints(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$")]
"""An appraisal month, 'YYYY-MM' (years 1000..9999: year 0000 is no calendar year)."""

EmploymentType = Literal["PNS", "PPPK", "CPNS"]
Decision = Literal["approved", "rejected", "revision_requested"]
Relation = Literal["superior", "peer", "subordinate"]


class Event(BaseModel):
    """Base of all event payloads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class EmployeeRegistered(Event):
    """An employee was added to the roster, or their details were corrected."""

    event_type: ClassVar[str] = "EmployeeRegistered"

    nip: Nip = Field(description="The employee's NIP.")
    name: str = Field(min_length=1, max_length=200, description="Full name (personal data).")
    unit: str = Field(min_length=1, max_length=100, description="Organisation unit code.")
    position: str = Field(min_length=1, max_length=200, description="Job title.")
    structural: bool = Field(description="Holds a structural (leadership) position.")
    employment_type: EmploymentType = Field(description="PNS, PPPK or CPNS.")
    job_class: int = Field(ge=1, le=17, description="Kelas jabatan, 1..17.")


class ReportingLineChanged(Event):
    """From a date on, an employee reports to a (new) direct superior, or to nobody."""

    event_type: ClassVar[str] = "ReportingLineChanged"

    nip: Nip = Field(description="The subordinate.")
    superior_nip: Nip | None = Field(description="The direct superior (atasan langsung), or none.")
    effective_from: date = Field(description="First day the line holds.")


class ActivityReported(Event):
    """An employee (or an e-service on their behalf) reported a work activity."""

    event_type: ClassVar[str] = "ActivityReported"

    activity_id: UUID = Field(description="Client-chosen id; reporting it again is idempotent.")
    nip: Nip = Field(description="Employee who did the work.")
    work_date: date = Field(description="Day the work was done.")
    minutes: int = Field(ge=1, le=1440, description="Effective minutes spent.")
    description: str = Field(min_length=1, max_length=500, description="What was done.")
    output: str | None = Field(None, max_length=200, description="What it produced.")
    source: str = Field(description="'app' or the id of the e-service that emitted it.")
    external_ref: str | None = Field(
        None, max_length=100, description="The e-service's own transaction id, as evidence."
    )


class ActivityRevised(Event):
    """The owner (or the e-service that reported it) amended an activity its direct superior
    had sent back for revision; it waits for validation again."""

    event_type: ClassVar[str] = "ActivityRevised"

    activity_id: UUID = Field(description="The activity amended.")
    nip: Nip = Field(description="Employee who did the work (unchanged by a revision).")
    work_date: date = Field(description="Day the work was done, as amended.")
    minutes: int = Field(ge=1, le=1440, description="Effective minutes spent, as amended.")
    description: str = Field(min_length=1, max_length=500,
                             description="What was done, as amended.")
    output: str | None = Field(None, max_length=200,
                               description="What it produced, as amended.")


class ValidationReview(BaseModel):
    """A direct superior's decision on one activity of a direct subordinate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["validation"] = "validation"
    activity_id: UUID = Field(description="The activity decided on.")
    owner_nip: Nip = Field(description="Who reported the activity.")
    reviewer_nip: Nip = Field(description="The direct superior deciding.")
    decision: Decision = Field(description="approved, rejected or revision_requested.")
    note: str | None = Field(None, max_length=500, description="Optional reason for the owner.")


class BehaviourReview(BaseModel):
    """One rater's 360° work-behaviour scores of one colleague for one month."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["behaviour"] = "behaviour"
    period: Period = Field(description="The month rated.")
    rater_nip: Nip = Field(description="Who rates.")
    ratee_nip: Nip = Field(description="Who is rated.")
    relation: Relation = Field(description="Rater's relation to the ratee, derived by intake.")
    scores: dict[str, int] = Field(description="Indicator name -> score 0..100.")
    comment: str | None = Field(None, max_length=1000, description="Free text (personal data).")


class ReviewSubmitted(Event):
    """A review was submitted: an activity validation or a 360° behaviour review."""

    event_type: ClassVar[str] = "ReviewSubmitted"

    review: Annotated[ValidationReview | BehaviourReview, Field(discriminator="kind")] = Field(
        description="The review; 'kind' tells which variant."
    )


class PolicyPublished(Event):
    """An allowance policy version was published; it applies from a period on."""

    event_type: ClassVar[str] = "PolicyPublished"

    version: str = Field(min_length=1, max_length=50, description="Policy version label.")
    effective_from: Period = Field(description="First period the policy governs.")
    document: dict[str, object] = Field(description="The whole policy, as published.")


class PeriodClosed(Event):
    """An admin closed a month: nothing in it changes any more; eligibility becomes final."""

    event_type: ClassVar[str] = "PeriodClosed"

    period: Period = Field(description="The closed month.")


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
        EmployeeRegistered,
        ReportingLineChanged,
        ActivityReported,
        ActivityRevised,
        ReviewSubmitted,
        PolicyPublished,
        PeriodClosed,
    )
}
"""Every event type this code understands, by name."""
