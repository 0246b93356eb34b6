"""Commands intake accepts: imperative, validated for shape here, for rules in ``rules``.

Every command subclasses ``Command``, whose config is strict (see ``shared.strict``): a
field of type int, float, bool, str, list, dict or Literal takes exactly that JSON type and
unknown fields are refused. Dates and UUIDs must be typed ``IsoDate`` / ``IsoUuid``
(re-exported here): a bare ``date`` or ``UUID`` would refuse every ISO string over HTTP.
"""

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from shared.attendance_policy import AbsenceReason, ClockTime
from shared.events import (
    ActingKind,
    AttendanceKind,
    Decision,
    EmploymentType,
    Expectation,
    IndicatorAspect,
    JustificationDecision,
    Nip,
    ObjectionOutcome,
    Period,
    PlanId,
    RhkKind,
)
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


class TransferEmployee(Command):
    """From ``effective_from`` on, ``nip`` works in ``unit`` under ``superior_nip`` (admin)."""

    nip: Nip = Field(description="The employee transferred.")
    unit: Annotated[Text, Field(min_length=1, max_length=100)] = Field(
        description="The new unit's code.")
    superior_nip: Nip | None = Field(description="The new direct superior; null for none.")
    effective_from: IsoDate = Field(description="First day in the new unit (day D).")


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
    rhk_id: PlanId | None = Field(
        None, description="The RHK of the employee's SKP for the month this activity serves.")


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


class AppointActingSuperior(Command):
    """Appoint an acting superior (Plt / Plh) in a head's place for a date range (admin)."""

    head_nip: Nip = Field(description="The direct superior whose place is taken.")
    acting_nip: Nip = Field(description="The acting official.")
    kind: ActingKind = Field(description="Plt (the post is vacant) or Plh (its holder is away).")
    valid_from: IsoDate = Field(description="First day of the appointment.")
    valid_to: IsoDate = Field(description="Last day of the appointment (included).")


class RecordAttendance(Command):
    """An attendance source reports one check-in, check-out or absence of an employee."""

    device_record_id: Annotated[Text, Field(min_length=1, max_length=100)] = Field(
        description="The device's (or app's) own id of the record: with the source, "
        "idempotent: a re-send is answered 'duplicate'.")
    nip: Nip = Field(description="The employee.")
    day: IsoDate = Field(description="The working day, YYYY-MM-DD.")
    kind: AttendanceKind = Field(description="check_in, check_out or absence.")
    time: ClockTime | None = Field(
        None, description="HH:MM, the unit's local time: required for check_in and "
        "check_out, absent for an absence.")
    reason: AbsenceReason | None = Field(
        None, description="Only for an absence whose reason the source already knows "
        "(sick, leave, duty_travel); such an absence counts as justified.")


class JustifyAbsence(Command):
    """The employee justifies an absence of one or more days of one month."""

    justification_id: IsoUuid = Field(
        description="Client-chosen id: a retry with it is answered the same.")
    nip: Nip = Field(description="The employee who was away (the caller).")
    first_day: IsoDate = Field(description="First day away.")
    last_day: IsoDate = Field(description="Last day away (included), in the same month.")
    reason: AbsenceReason = Field(description="sick, leave or duty_travel.")
    evidence_ref: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="Reference of the evidence (letter number, document id).")


class JustificationDecisionBody(Command):
    """The unit head's decision on a justification (the HTTP body)."""

    decision: JustificationDecision = Field(description="approved or rejected.")
    note: Annotated[Text, Field(max_length=500)] | None = Field(None, description="Reason.")


class DecideJustification(JustificationDecisionBody):
    """The direct superior (or an acting one) approves or rejects a justification."""

    justification_id: IsoUuid = Field(description="The justification decided on.")
class FinanceData(Command):
    """An employee's tax id and bank account (the HTTP body; the NIP is in the path)."""

    npwp: Annotated[str, Field(max_length=32)] = Field(
        description="NPWP, 16 digits (PMK 112/2022; a 15-digit NPWP takes a leading 0).")
    bank_name: Annotated[Text, Field(min_length=1, max_length=100)] = Field(
        description="The bank.")
    bank_account: Annotated[str, Field(pattern=r"^[0-9]{6,20}$")] = Field(
        description="Account number, 6..20 digits.")


class RecordFinanceData(FinanceData):
    """Record (or correct) the NPWP and bank account an employee's TPP is paid to (admin)."""

    nip: Nip = Field(description="The employee.")


class RestrictProcessing(Command):
    """Restrict the processing of an employee's personal data (admin; UU PDP art. 11)."""

    nip: Nip = Field(description="The employee.")
    reference: Annotated[Text, Field(min_length=1, max_length=100)] = Field(
        description="The request's reference (case or letter number).")
    reason: Annotated[Text, Field(min_length=1, max_length=1000)] = Field(
        description="Why, e.g. the accuracy of the data is contested.")


class LiftProcessingRestriction(Command):
    """End an employee's restriction of processing (admin)."""

    nip: Nip = Field(description="The employee.")
    reference: Annotated[Text, Field(min_length=1, max_length=100)] = Field(
        description="The reference of the decision to lift it.")


class RecordPayment(Command):
    """Record the payment order (SP2D) that paid a unit's TPP listing for a month (treasurer)."""

    period: Period = Field(description="The month paid, YYYY-MM.")
    unit: Annotated[Text, Field(min_length=1, max_length=100)] = Field(description="Unit code.")
    sp2d_number: Annotated[Text, Field(min_length=1, max_length=100)] = Field(
        description="Number of the payment order (SP2D).")
    sp2d_date: IsoDate = Field(description="Date of the payment order.")


class SkpIndicatorTarget(Command):
    """An indicator of a planned result and its target."""

    indicator_id: PlanId = Field(description="Short id, unique within the RHK.")
    aspect: IndicatorAspect = Field(description="quantity, quality or time.")
    description: Annotated[Text, Field(min_length=1, max_length=300)] = Field(
        description="What is measured.")
    target: float = Field(gt=0, description="Target figure (more is better).")
    unit: Annotated[Text, Field(min_length=1, max_length=50)] = Field(description="Unit.")


class PlanResult(Command):
    """A planned work result (RHK) with its indicators."""

    rhk_id: PlanId = Field(description="Short id, unique within the SKP.")
    kind: RhkKind = Field(description="main (utama) or additional (tambahan).")
    description: Annotated[Text, Field(min_length=1, max_length=500)] = Field(
        description="The planned result.")
    supports_rhk_id: PlanId | None = Field(
        None, description="The superior's RHK (in the superior's SKP for the period) it "
        "supports.")
    indicators: list[SkpIndicatorTarget] = Field(min_length=1, max_length=10,
                                                 description="Indicators and targets.")


class SetSkp(Command):
    """The direct superior sets (or replaces) a subordinate's SKP for a period."""

    nip: Nip = Field(description="The subordinate.")
    period: Period = Field(description="The period planned, YYYY-MM.")
    results: list[PlanResult] = Field(min_length=1, max_length=30,
                                      description="The planned results (RHK).")


class ReportRealisation(Command):
    """An employee reports the realisation so far of one indicator of their SKP."""

    realisation_id: IsoUuid = Field(description="Client-chosen id of this report.")
    period: Period = Field(description="The SKP's period.")
    rhk_id: PlanId = Field(description="The RHK.")
    indicator_id: PlanId = Field(description="The indicator.")
    value: float = Field(ge=0, description="The realisation so far.")
    evidence: Annotated[Text, Field(min_length=1, max_length=500)] = Field(
        description="Reference to the evidence (document number, link).")
    note: Annotated[Text, Field(max_length=1000)] | None = Field(None, description="Comment.")


class RealisationDecision(Command):
    """The superior's decision on a reported realisation (the HTTP body)."""

    decision: Decision = Field(description="approved, rejected or revision_requested.")
    note: Annotated[Text, Field(max_length=1000)] | None = Field(
        None, description="Feedback (umpan balik) for the employee.")


class DecideRealisation(RealisationDecision):
    """The direct superior validates a reported realisation."""

    nip: Nip = Field(description="The employee.")
    period: Period = Field(description="The SKP's period.")
    realisation_id: IsoUuid = Field(description="The report decided on.")


class RatePerformance(Command):
    """The rater confirms the derived 2022 ratings of a period, or overrides them."""

    nip: Nip = Field(description="The employee rated.")
    period: Period = Field(description="The period, YYYY-MM.")
    results_override: Expectation | None = Field(
        None, description="Results rating instead of the derived one; omit to confirm.")
    behaviour_override: Expectation | None = Field(
        None, description="Behaviour rating instead of the derived one; omit to confirm.")
    reason: Annotated[Text, Field(min_length=1, max_length=1000)] | None = Field(
        None, description="Why; required with an override.")


class RecordOrganisationalPredicate(Command):
    """An admin records a unit's organisational predicate for a period."""

    unit: Annotated[Text, Field(min_length=1, max_length=100)] = Field(description="Unit code.")
    period: Period = Field(description="The period, YYYY-MM.")
    predicate: Annotated[Text, Field(min_length=1, max_length=50)] = Field(
        description="A key of the governing policy's curve (e.g. Istimewa, Baik).")


class FileObjection(Command):
    """Object to one's own result of a closed month, with reasons (keberatan)."""

    period: Period = Field(description="The closed month objected to, YYYY-MM.")
    reasons: Annotated[Text, Field(min_length=1, max_length=2000)] = Field(
        description="Why the result is wrong.")


class ObjectionDecision(Command):
    """The decider's decision on an objection (the HTTP body; the objection is the path)."""

    outcome: ObjectionOutcome = Field(description="upheld (with the new result) or rejected.")
    reason: Annotated[Text, Field(min_length=1, max_length=2000)] = Field(
        description="Why the objection is upheld or rejected.")
    approved_minutes: int | None = Field(
        None, ge=0, le=44640, description="Upheld: the month's approved minutes as decided.")
    behaviour_score: float | None = Field(
        None, ge=0, le=100, description="Upheld: the 360 score as decided.")
    results_rating: Expectation | None = Field(
        None, description="Upheld under the 2022 regime: the results rating as decided.")
    behaviour_rating: Expectation | None = Field(
        None, description="Upheld under the 2022 regime: the behaviour rating as decided.")


class DecideObjection(ObjectionDecision):
    """Decide an employee's objection to a month: final."""

    nip: Nip = Field(description="The employee who objected.")
    period: Period = Field(description="The month objected to.")


class ErasureRequest(Command):
    """Why a person's personal data is to be erased (the HTTP body; the NIP is in the path)."""

    legal_basis: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="The legal basis, e.g. 'UU PDP art. 8' (the subject's request).")
    reference: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="The request's reference: a letter or case number.")


class RequestErasure(ErasureRequest):
    """Ask for a person's personal data to be erased once the retention has passed (admin)."""

    nip: Nip = Field(description="The data subject.")


class CompleteErasure(Command):
    """Record that a due erasure was done: the key is destroyed. Intake's own command (the
    eraser, after destroying the key): no HTTP route takes it."""

    nip: Nip = Field(description="The data subject.")
