"""Domain events: small, frozen, versioned, named in the past tense.

Each class documents its payload field by field; the envelope carries the rest.
"""

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

from shared.attendance_policy import AbsenceReason, ClockTime

Nip = Annotated[str, StringConstraints(pattern=r"^\d{18}$")]
"""18-digit civil-servant id (NIP). Intake checks its dates; the contract checks its shape."""

Period = Annotated[str, StringConstraints(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$")]
"""An appraisal month, 'YYYY-MM' (years 1000..9999: year 0000 is no calendar year)."""

EmploymentType = Literal["PNS", "PPPK", "CPNS"]
Decision = Literal["approved", "rejected", "revision_requested"]
Relation = Literal["superior", "peer", "subordinate"]
ActingKind = Literal["Plt", "Plh"]
RhkKind = Literal["main", "additional"]
"""A planned result (RHK): 'main' (utama) or 'additional' (tambahan)."""
IndicatorAspect = Literal["quantity", "quality", "time"]
Expectation = Literal["below", "as_expected", "above"]
"""A PermenPANRB 6/2022 rating of results or behaviour."""
PlanId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
"""The superior's own short id of an RHK or indicator, unique within one SKP."""

Npwp = Annotated[str, StringConstraints(pattern=r"^[0-9]{16}$")]
"""Taxpayer id (NPWP), the 16-digit form of PMK 112/2022 (a 15-digit NPWP takes a leading 0)."""

BankAccount = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,20}$")]
"""A bank account number, digits only (project choice: 6..20 digits covers Indonesian banks)."""

ObjectionOutcome = Literal["upheld", "rejected"]

SEALED_PREFIX = "enc:v1:"
SealedText = Annotated[str, StringConstraints(
    pattern=r"^enc:v1:[^:]+:[0-9a-f-]{36}:[A-Za-z]+:[A-Za-z_.]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$")]
"""A personal field sealed with its data subject's key (shared.personal); '[erased]' when the
subject's key was destroyed before the event was recorded."""
Erased = Literal["[erased]"]


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)] | SealedText | Erased
Note500 = Annotated[str, StringConstraints(max_length=500)] | SealedText | Erased
Note1000 = Annotated[str, StringConstraints(max_length=1000)] | SealedText | Erased
Reasons = Annotated[str, StringConstraints(min_length=1, max_length=2000)] | SealedText | Erased


class Event(BaseModel):
    """Base of all event payloads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class EmployeeRegistered(Event):
    """An employee was added to the roster, or their details were corrected."""

    event_type: ClassVar[str] = "EmployeeRegistered"

    nip: Nip = Field(description="The employee's NIP.")
    name: Name = Field(description="Full name (personal data).")
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
    rhk_id: PlanId | None = Field(
        None, description="The RHK of the employee's SKP this activity serves; left out of "
        "the payload when null, so activities without one are stored as before.")

    @model_serializer(mode="wrap")
    def _without_null_rhk(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        dumped: dict[str, object] = handler(self)
        if dumped.get("rhk_id", "") is None:
            del dumped["rhk_id"]
        return dumped


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


class _MayActFor(BaseModel):
    """A review that may be made in an acting superior's capacity. ``acting_for`` is left out
    of the payload when null, so a review by the superior themself is stored (and hashed)
    exactly as before acting superiors existed."""

    @model_serializer(mode="wrap")
    def _without_null_acting_for(self, handler: SerializerFunctionWrapHandler,
                                 info: SerializationInfo) -> dict[str, object]:
        dumped: dict[str, object] = handler(self)
        if dumped.get("acting_for", "") is None:
            del dumped["acting_for"]
        return dumped


class ValidationReview(_MayActFor):
    """A direct superior's decision on one activity of a direct subordinate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["validation"] = "validation"
    activity_id: UUID = Field(description="The activity decided on.")
    owner_nip: Nip = Field(description="Who reported the activity.")
    reviewer_nip: Nip = Field(description="The direct superior deciding.")
    decision: Decision = Field(description="approved, rejected or revision_requested.")
    note: Note500 | None = Field(None, description="Optional reason for the owner "
                                 "(personal data).")
    acting_for: Nip | None = Field(
        None, description="When the reviewer decided as acting superior (Plt / Plh): the "
        "direct superior in whose place they acted; null when they are the direct superior.")


class BehaviourReview(_MayActFor):
    """One rater's 360° work-behaviour scores of one colleague for one month."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["behaviour"] = "behaviour"
    period: Period = Field(description="The month rated.")
    rater_nip: Nip = Field(description="Who rates.")
    ratee_nip: Nip = Field(description="Who is rated.")
    relation: Relation = Field(description="Rater's relation to the ratee, derived by intake.")
    scores: dict[str, int] = Field(description="Indicator name -> score 0..100.")
    comment: Note1000 | None = Field(None, description="Free text (personal data).")
    acting_for: Nip | None = Field(
        None, description="When the rater rated as acting superior (Plt / Plh): the direct "
        "superior in whose place they rated; null otherwise.")


class ReviewSubmitted(Event):
    """A review was submitted: an activity validation or a 360° behaviour review."""

    event_type: ClassVar[str] = "ReviewSubmitted"

    review: Annotated[ValidationReview | BehaviourReview, Field(discriminator="kind")] = Field(
        description="The review; 'kind' tells which variant."
    )


class ActingSuperiorAppointed(Event):
    """An admin appointed an acting superior (Plt or Plh) in a head's place for a date range:
    within it the acting official validates and rates the head's direct subordinates as the
    head would."""

    event_type: ClassVar[str] = "ActingSuperiorAppointed"

    head_nip: Nip = Field(description="The direct superior whose place is taken.")
    acting_nip: Nip = Field(description="The acting official.")
    kind: ActingKind = Field(
        description="Plt (pelaksana tugas: the post is vacant) or Plh (pelaksana harian: its "
        "holder is away).")
    valid_from: date = Field(description="First day of the appointment.")
    valid_to: date = Field(description="Last day of the appointment (included).")


AttendanceKind = Literal["check_in", "check_out", "absence"]
JustificationDecision = Literal["approved", "rejected"]


class AttendanceRecorded(Event):
    """An attendance source (a fingerprint machine, a geofenced app) recorded a check-in, a
    check-out or an absence of an employee."""

    event_type: ClassVar[str] = "AttendanceRecorded"

    nip: Nip = Field(description="The employee.")
    day: date = Field(description="The working day the record is of.")
    kind: AttendanceKind = Field(description="check_in, check_out or absence.")
    time: ClockTime | None = Field(
        None, description="Wall-clock time HH:MM (the unit's local time) of a check-in or "
        "check-out; null for an absence.")
    reason: AbsenceReason | None = Field(
        None, description="For an absence the source already knows the reason of (sick, "
        "leave, duty_travel): it counts as justified. Null otherwise.")
    source: str = Field(description="The attendance source (the e-service's id).")
    device_record_id: str = Field(
        min_length=1, max_length=100,
        description="The source's own id of the record; (source, device_record_id) is unique.")


class AbsenceJustificationSubmitted(Event):
    """An employee justified an absence (sick, leave, duty travel) for a range of days of one
    month, with a reference to the evidence; it waits for the unit head's decision."""

    event_type: ClassVar[str] = "AbsenceJustificationSubmitted"

    justification_id: UUID = Field(description="Client-chosen id of the justification.")
    nip: Nip = Field(description="The employee who was away.")
    first_day: date = Field(description="First day justified.")
    last_day: date = Field(description="Last day justified (included; same month).")
    reason: AbsenceReason = Field(description="sick, leave or duty_travel.")
    evidence_ref: str = Field(min_length=1, max_length=200, description="Reference of the "
                              "evidence: a doctor's letter, a leave decree, a travel order.")
    submitted_on: date = Field(description="The day it was submitted (intake's calendar day).")


class AbsenceJustificationDecided(Event):
    """The unit head (the employee's direct superior, or an acting one) approved or rejected
    an absence justification."""

    event_type: ClassVar[str] = "AbsenceJustificationDecided"

    justification_id: UUID = Field(description="The justification decided on.")
    nip: Nip = Field(description="The employee who was away.")
    decision: JustificationDecision = Field(description="approved or rejected.")
    decided_by: Nip = Field(description="Who decided.")
    note: Note500 | None = Field(None, description="Reason for the employee (personal data).")
    acting_for: Nip | None = Field(
        None, description="When the decider acted as acting superior (Plt / Plh): the head "
        "in whose place; null otherwise.")


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


class FinanceDataRecorded(Event):
    """An admin recorded (or corrected) the tax id and bank account an employee's TPP is paid
    to. Personal data: never logged; read only by treasurers and admins."""

    event_type: ClassVar[str] = "FinanceDataRecorded"

    nip: Nip = Field(description="The employee.")
    npwp: Npwp | SealedText | Erased = Field(
        description="Taxpayer id (NPWP), 16 digits (personal data).")
    bank_name: str = Field(min_length=1, max_length=100, description="The bank.")
    bank_account: BankAccount | SealedText | Erased = Field(
        description="Account number, digits (personal data).")


class PaymentRecorded(Event):
    """A unit's treasurer recorded the payment order (SP2D) that paid a month's TPP listing;
    a later one for the same month and unit corrects it."""

    event_type: ClassVar[str] = "PaymentRecorded"

    period: Period = Field(description="The month paid.")
    unit: str = Field(min_length=1, max_length=100, description="The unit whose listing was paid.")
    sp2d_number: str = Field(min_length=1, max_length=100,
                             description="Number of the payment order (SP2D).")
    sp2d_date: date = Field(description="Date of the payment order.")


class SkpIndicator(BaseModel):
    """One indicator of a planned result, with its target. Realisation and target are
    figures where more is better (for time: e.g. the share of outputs delivered on time)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicator_id: PlanId = Field(description="Id of the indicator within the SKP.")
    aspect: IndicatorAspect = Field(description="quantity, quality or time.")
    description: str = Field(min_length=1, max_length=300, description="What is measured.")
    target: float = Field(gt=0, description="The target figure for the period.")
    unit: str = Field(min_length=1, max_length=50, description="Unit of the figure.")


class PlannedResult(BaseModel):
    """A planned work result (RHK, rencana hasil kerja) of an SKP."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rhk_id: PlanId = Field(description="Id of the RHK within the SKP.")
    kind: RhkKind = Field(description="main (utama) or additional (tambahan).")
    description: str = Field(min_length=1, max_length=500, description="The planned result.")
    supports_rhk_id: PlanId | None = Field(
        description="The RHK of the superior's SKP (same period) this one supports, the "
        "cascade; null when the superior has none to link to.")
    indicators: list[SkpIndicator] = Field(min_length=1, max_length=10,
                                           description="Its indicators and targets.")


class SkpSet(Event):
    """The direct superior (or an acting one) set an employee's SKP for a period: its
    planned results with indicators and targets. A later SkpSet replaces the whole plan."""

    event_type: ClassVar[str] = "SkpSet"

    nip: Nip = Field(description="The employee whose SKP it is.")
    period: Period = Field(description="The period planned.")
    superior_nip: Nip = Field(description="Who set it.")
    acting_for: Nip | None = Field(
        description="The direct superior in whose place an acting one set it; else null.")
    results: list[PlannedResult] = Field(min_length=1, max_length=30,
                                         description="The planned results (RHK).")


class RealisationReported(Event):
    """An employee reported the realisation so far of one indicator of their SKP, with a
    reference to the evidence; it waits for the superior's validation."""

    event_type: ClassVar[str] = "RealisationReported"

    realisation_id: UUID = Field(description="Client-chosen id of this report.")
    nip: Nip = Field(description="The employee.")
    period: Period = Field(description="The SKP's period.")
    rhk_id: PlanId = Field(description="The RHK.")
    indicator_id: PlanId = Field(description="The indicator of that RHK.")
    value: float = Field(ge=0, description="The realisation so far, in the indicator's unit.")
    evidence: str = Field(min_length=1, max_length=500,
                          description="Where the evidence is (document number, link).")
    note: Note1000 | None = Field(None, description="Comment (personal data).")


class RealisationValidated(Event):
    """The direct superior (or an acting one) decided on a reported realisation: approved,
    rejected or sent back (then the employee reports again)."""

    event_type: ClassVar[str] = "RealisationValidated"

    realisation_id: UUID = Field(description="The report decided on.")
    nip: Nip = Field(description="The employee.")
    period: Period = Field(description="The SKP's period.")
    reviewer_nip: Nip = Field(description="Who decided.")
    decision: Decision = Field(description="approved, rejected or revision_requested.")
    note: Note1000 | None = Field(None, description="Feedback (umpan balik) for the employee "
                                  "(personal data).")
    acting_for: Nip | None = Field(
        description="The direct superior in whose place an acting one decided; else null.")


class PerformanceRated(Event):
    """The rater (the direct superior, or an acting one) confirmed the ratings derived for a
    period under PermenPANRB 6/2022, or overrode one or both, with a reason."""

    event_type: ClassVar[str] = "PerformanceRated"

    nip: Nip = Field(description="The employee rated.")
    period: Period = Field(description="The period.")
    rater_nip: Nip = Field(description="Who rated.")
    acting_for: Nip | None = Field(
        description="The direct superior in whose place an acting one rated; else null.")
    results_override: Expectation | None = Field(
        description="The results rating set instead of the derived one; null confirms it.")
    behaviour_override: Expectation | None = Field(
        description="The behaviour rating set instead of the derived one; null confirms it.")
    reason: Note1000 | None = Field(
        description="Why (required with an override; personal data).")


class OrganisationalPredicateRecorded(Event):
    """An admin recorded a unit's own organisational predicate for a period: it chooses the
    distribution curve its staff predicates are checked against."""

    event_type: ClassVar[str] = "OrganisationalPredicateRecorded"

    unit: str = Field(min_length=1, max_length=100, description="Organisation unit code.")
    period: Period = Field(description="The period.")
    predicate: str = Field(min_length=1, max_length=50,
                           description="The unit's predicate, a key of the policy's curve.")


CurveOutcome = Literal["passed", "warned", "blocked"]
"""A distribution-curve check's outcome: no band breached; breached under a ``warn`` policy;
breached under a ``block`` policy."""
CloseAction = Literal["closed", "refused", "closed_by_date"]
"""What a close did with its curve check: closed (passed or warned); refused (an early close
blocked by a breach); closed by date (blocked, but the close day had come: the period locks
by date whatever the curve says, so it closes with the breach on record)."""


class CurveBreach(BaseModel):
    """One band of a unit's curve its staff predicates breach."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    predicates: list[str] = Field(min_length=1, max_length=10,
                                  description="The staff predicates the band counts.")
    bound: Literal["at_most", "at_least"] = Field(description="An upper or a lower bound.")
    limit_pct: float = Field(ge=0, le=100, description="The band's percentage of the staff.")
    count: int = Field(ge=0, description="Staff with one of the band's predicates.")
    limit_people: int = Field(
        ge=0, description="People the band allows (at most) or needs (at least).")
    by: int = Field(gt=0, description="People over an upper bound, or missing to a lower one.")


class CheckedUnit(BaseModel):
    """One unit with a recorded organisational predicate, as the check saw it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: str = Field(min_length=1, max_length=100, description="Organisation unit code.")
    organisational_predicate: str = Field(
        min_length=1, max_length=50, description="The unit's own organisational predicate.")
    checked: bool = Field(description="False when the unit is not on the 2022 regime.")
    policy_version: str | None = Field(
        max_length=50, description="The policy whose curve the unit was checked against.")
    staff: dict[Annotated[str, Field(max_length=50)], Annotated[int, Field(ge=0)]] = Field(
        description="Staff predicate -> people (the unit's 2022 eligibility rows).")
    breaches: list[CurveBreach] = Field(description="The bands breached.")
    outcome: CurveOutcome | None = Field(description="The unit's outcome; null: not checked.")


class DistributionChecked(Event):
    """Before a period's close, intake read the distribution-curve check from appraisal and
    recorded it: what was known at the close, and what the close did with it."""

    event_type: ClassVar[str] = "DistributionChecked"

    period: Period = Field(description="The month being closed.")
    position: int = Field(
        ge=0, description="Appraisal's projections stood at this global position: the check "
        "reflects the events up to it, not those after.")
    outcome: CurveOutcome = Field(description="The worst outcome of the units.")
    close_action: CloseAction = Field(description="What the close did with the check.")
    units: list[CheckedUnit] = Field(description="Every unit with an organisational predicate.")


class EmployeeTransferred(Event):
    """From a date on, an employee works in another unit under another direct superior: the
    days before it stay with the old unit and superior (a mid-month transfer splits the
    month)."""

    event_type: ClassVar[str] = "EmployeeTransferred"

    nip: Nip = Field(description="The employee transferred.")
    unit: str = Field(min_length=1, max_length=100, description="The new unit's code.")
    superior_nip: Nip | None = Field(description="The new direct superior, or none.")
    effective_from: date = Field(description="First day in the new unit (day D).")


class ObjectionFiled(Event):
    """An employee objected (keberatan, PP 30/2019 art. 59) to a closed month's result, with
    reasons, within the policy's window; it waits for the decider intake derived."""

    event_type: ClassVar[str] = "ObjectionFiled"

    nip: Nip = Field(description="The employee objecting (the token's subject).")
    period: Period = Field(description="The closed month whose result is objected to.")
    reasons: Reasons = Field(description="Why the result is wrong (personal data).")
    rater_nip: Nip = Field(description="The rater: the employee's direct superior on the "
                           "month's last day.")
    decider_nip: Nip = Field(description="Who decides: the rater's own direct superior on the "
                             "month's last day (atasan pejabat penilai).")
    filed_on: date = Field(description="The day it was filed (Asia/Jakarta).")
    deadline: date = Field(description="The last day the window allowed filing.")


class ObjectionDecided(Event):
    """The decider upheld an objection with a new result, or rejected it; the decision is
    final (PP 30/2019 art. 59)."""

    event_type: ClassVar[str] = "ObjectionDecided"

    nip: Nip = Field(description="The employee who objected.")
    period: Period = Field(description="The month objected to.")
    decided_by: Nip = Field(description="Who decided: the decider, or an acting official.")
    acting_for: Nip | None = Field(
        None, description="When an acting superior (Plt / Plh) decided: the decider in whose "
        "place they acted; null when the decider decided themself.")
    outcome: ObjectionOutcome = Field(description="upheld (a new result) or rejected.")
    reason: Reasons = Field(description="Why (personal data).")
    decided_on: date = Field(description="The day of the decision (Asia/Jakarta).")
    approved_minutes: int | None = Field(
        None, ge=0, le=44640, description="Upheld: the month's approved minutes as decided; "
        "null keeps the projected figure.")
    behaviour_score: float | None = Field(
        None, ge=0, le=100, description="Upheld: the 360 score as decided; null keeps the "
        "projected one.")
    results_rating: Expectation | None = Field(
        None, description="Upheld under the 2022 regime: the results rating as decided; null "
        "keeps the rater's. Left out of the payload when null (older events unchanged).")
    behaviour_rating: Expectation | None = Field(
        None, description="Upheld under the 2022 regime: the behaviour rating as decided; "
        "null keeps the rater's. Left out of the payload when null.")

    @model_serializer(mode="wrap")
    def _without_null_ratings(self, handler: SerializerFunctionWrapHandler) -> (
        dict[str, object]
    ):
        dumped: dict[str, object] = handler(self)
        for name in ("results_rating", "behaviour_rating"):
            if dumped.get(name, "") is None:
                del dumped[name]
        return dumped


class ProcessingRestricted(Event):
    """An admin restricted the processing of an employee's personal data (UU PDP art. 11,
    41): from now on the read APIs withhold their personal fields from everyone but the
    employee and admins, and say ``restricted``. Pay and audit facts still count."""

    event_type: ClassVar[str] = "ProcessingRestricted"

    nip: Nip = Field(description="The employee whose processing is restricted.")
    reference: str = Field(min_length=1, max_length=100,
                           description="The request's reference (case or letter number).")
    reason: Reasons = Field(description="Why, e.g. the accuracy of the data is contested "
                            "(personal data).")


class ProcessingRestrictionLifted(Event):
    """An admin lifted an employee's restriction of processing: reads show their personal
    fields again."""

    event_type: ClassVar[str] = "ProcessingRestrictionLifted"

    nip: Nip = Field(description="The employee whose restriction ends.")
    reference: str = Field(min_length=1, max_length=100,
                           description="The reference of the decision to lift it.")


class ErasureRequested(Event):
    """An admin asked for an employee's personal data to be erased (UU PDP art. 8 and 43),
    with the legal basis and a reference; it is done once the policy's retention for appraisal
    facts has passed (art. 15 and 44: facts needed for pay and audit are kept until then)."""

    event_type: ClassVar[str] = "ErasureRequested"

    nip: Nip = Field(description="The data subject.")
    legal_basis: str = Field(min_length=1, max_length=200,
                             description="The legal basis, e.g. 'UU PDP art. 8'.")
    reference: str = Field(min_length=1, max_length=200,
                           description="The request's reference (letter or case number).")
    requested_on: date = Field(description="The day it was requested (Asia/Jakarta).")
    due_on: date = Field(description="The first day the retention allows the erasure.")


class PersonalDataErased(Event):
    """An employee's data key was destroyed: every sealed personal field of theirs (names,
    comments, notes, reasons, NPWP, bank account) is unreadable from now on, everywhere; the
    non-personal facts and the hash chain stay."""

    event_type: ClassVar[str] = "PersonalDataErased"

    nip: Nip = Field(description="The data subject.")
    reference: str = Field(min_length=1, max_length=200,
                           description="The erasure request's reference.")
    erased_on: date = Field(description="The day the key was destroyed (Asia/Jakarta).")


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
        EmployeeRegistered,
        ReportingLineChanged,
        ActivityReported,
        ActivityRevised,
        ReviewSubmitted,
        ActingSuperiorAppointed,
        PolicyPublished,
        PeriodClosed,
        AttendanceRecorded,
        AbsenceJustificationSubmitted,
        AbsenceJustificationDecided,
        FinanceDataRecorded,
        PaymentRecorded,
        SkpSet,
        RealisationReported,
        RealisationValidated,
        PerformanceRated,
        OrganisationalPredicateRecorded,
        DistributionChecked,
        ObjectionFiled,
        ObjectionDecided,
        EmployeeTransferred,
        ProcessingRestricted,
        ProcessingRestrictionLifted,
        ErasureRequested,
        PersonalDataErased,
    )
}
"""Every event type this code understands, by name."""
