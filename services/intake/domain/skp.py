"""SKP (sasaran kinerja pegawai, PermenPANRB 6/2022) rules: setting a subordinate's planned
results, reporting and validating their realisation, and the rater's confirmation or
override of the derived ratings.

An employee's SKP for a period is one event stream (``skp-{nip}-{period}``); its state is
the fold of that stream (:func:`fold`), so the checks need no table of their own and the
stream's versions serialise the decisions. Who may act is the direct superior on the
month's line date (``shared.authority.month_line_date``), or an acting one
(``shared.authority.acting_for``).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from services.intake.domain import commands as c
from services.intake.domain.checks import require
from services.intake.domain.errors import Rejected, conflict, forbidden, not_found
from services.intake.domain.facts import EmployeeFacts
from shared.auth import Principal
from shared.authority import ActingAppointment, acting_for
from shared.events import (
    Event,
    OrganisationalPredicateRecorded,
    PerformanceRated,
    PlannedResult,
    RealisationReported,
    RealisationValidated,
    SkpIndicator,
    SkpSet,
)
from shared.policy import Policy


@dataclass
class SkpState:
    """An employee-period's SKP as its stream left it."""

    results: tuple[PlannedResult, ...] = ()
    realisations: dict[UUID, str] = field(default_factory=dict)
    """Realisation id -> status (pending, approved, rejected, revision_requested)."""
    version: int = 0

    def indicator(self, rhk_id: str, indicator_id: str) -> SkpIndicator | None:
        for result in self.results:
            if result.rhk_id == rhk_id:
                return next((i for i in result.indicators if i.indicator_id == indicator_id),
                            None)
        return None

    def has_rhk(self, rhk_id: str) -> bool:
        return any(result.rhk_id == rhk_id for result in self.results)


def fold(events: Sequence[Event]) -> SkpState:
    """The state of one SKP stream, its events in stream order."""
    state = SkpState(version=len(events))
    for event in events:
        match event:
            case SkpSet():
                state.results = tuple(event.results)
            case RealisationReported():
                state.realisations[event.realisation_id] = "pending"
            case RealisationValidated():
                state.realisations[event.realisation_id] = event.decision
    return state


@dataclass(frozen=True)
class Line:
    """Who is the employee's superior for the period: the direct superior on the month's
    line date, and that superior's acting appointments."""

    superior: str | None
    day: date
    appointments: Iterable[ActingAppointment] = ()

    def acting(self, principal: Principal) -> str | None:
        """Refused unless the caller is the superior or acts in their place that day;
        the head acted for (None when the caller is the superior)."""
        in_place_of = acting_for(principal.subject, self.superior, self.day,
                                 self.appointments)
        if self.superior != principal.subject and in_place_of is None:
            raise forbidden("not_direct_superior",
                            "only the employee's direct superior for the period may do this")
        return in_place_of


def _open(period: str, period_closed: bool) -> None:
    if period_closed:
        raise conflict("period_closed", f"period {period} is closed", "period")


def set_skp(cmd: c.SetSkp, principal: Principal, employee: EmployeeFacts | None, line: Line,
            superior_skp: SkpState, period_closed: bool) -> SkpSet:
    """``superior_skp``: the superior's own SKP for the period, which RHKs may support."""
    require(principal, "appraise_subordinate")
    if employee is None:
        raise not_found("unknown_employee", "nip: no employee with this NIP", "nip")
    if cmd.nip == principal.subject:
        raise forbidden("self_review", "nobody sets their own SKP")
    in_place_of = line.acting(principal)
    _open(cmd.period, period_closed)
    _check_plan(cmd.results, superior_skp)
    results = [PlannedResult(**r.model_dump()) for r in cmd.results]
    return SkpSet(nip=cmd.nip, period=cmd.period, superior_nip=principal.subject,
                  acting_for=in_place_of, results=results)


def _check_plan(results: Sequence[c.PlanResult], superior_skp: SkpState) -> None:
    rhk_ids = [r.rhk_id for r in results]
    if len(set(rhk_ids)) < len(rhk_ids):
        raise Rejected("duplicate_id", "results: an rhk_id is used twice", "results")
    for result in results:
        ids = [i.indicator_id for i in result.indicators]
        if len(set(ids)) < len(ids):
            raise Rejected("duplicate_id",
                           f"results: RHK {result.rhk_id} uses an indicator_id twice",
                           "results")
        if result.supports_rhk_id is not None and not superior_skp.has_rhk(
                result.supports_rhk_id):
            raise Rejected("unknown_superior_rhk",
                           f"results: RHK {result.rhk_id} supports {result.supports_rhk_id}, "
                           "which the superior's SKP for the period does not hold", "results")
    if not any(r.kind == "main" for r in results):
        raise Rejected("no_main_rhk", "results: an SKP needs at least one main RHK", "results")


def report_realisation(cmd: c.ReportRealisation, principal: Principal, state: SkpState,
                       period_closed: bool) -> RealisationReported:
    """The employee reports on their own SKP."""
    require(principal, "report_own_activity")
    if not state.results:
        raise not_found("no_skp", f"period: no SKP is set for {cmd.period}", "period")
    if state.indicator(cmd.rhk_id, cmd.indicator_id) is None:
        raise not_found("unknown_indicator",
                        f"indicator_id: the SKP has no indicator {cmd.indicator_id} under "
                        f"RHK {cmd.rhk_id}", "indicator_id")
    if cmd.realisation_id in state.realisations:
        raise conflict("duplicate_realisation", "realisation_id: already used",
                       "realisation_id")
    _open(cmd.period, period_closed)
    return RealisationReported(**cmd.model_dump(), nip=principal.subject)


def decide_realisation(cmd: c.DecideRealisation, principal: Principal, state: SkpState,
                       line: Line, period_closed: bool) -> RealisationValidated:
    require(principal, "appraise_subordinate")
    status = state.realisations.get(cmd.realisation_id)
    if status is None:
        raise not_found("unknown_realisation", "realisation_id: no such report of this SKP",
                        "realisation_id")
    if cmd.nip == principal.subject:
        raise forbidden("self_review", "nobody validates their own realisation")
    in_place_of = line.acting(principal)
    if status != "pending":
        raise conflict("not_pending", f"realisation_id: already {status}", "realisation_id")
    _open(cmd.period, period_closed)
    return RealisationValidated(**cmd.model_dump(), reviewer_nip=principal.subject,
                                acting_for=in_place_of)


def rate_performance(cmd: c.RatePerformance, principal: Principal,
                     employee: EmployeeFacts | None, line: Line,
                     period_closed: bool) -> PerformanceRated:
    require(principal, "appraise_subordinate")
    if employee is None:
        raise not_found("unknown_employee", "nip: no employee with this NIP", "nip")
    if cmd.nip == principal.subject:
        raise forbidden("self_review", "nobody rates themselves")
    in_place_of = line.acting(principal)
    if (cmd.results_override or cmd.behaviour_override) and cmd.reason is None:
        raise Rejected("reason_required", "reason: an override needs a reason", "reason")
    _open(cmd.period, period_closed)
    return PerformanceRated(**cmd.model_dump(), rater_nip=principal.subject,
                            acting_for=in_place_of)


def record_organisational_predicate(
    cmd: c.RecordOrganisationalPredicate, principal: Principal, policy: Policy,
    period_closed: bool,
) -> OrganisationalPredicateRecorded:
    """``policy``: the one governing the unit's agency for the period."""
    require(principal, "record_unit_predicate")
    curve = policy.rules_2022.curve
    if cmd.predicate not in curve:
        raise Rejected("unknown_predicate",
                       f"predicate: the policy's curve knows {', '.join(curve)}", "predicate")
    _open(cmd.period, period_closed)
    return OrganisationalPredicateRecorded(**cmd.model_dump())


def check_activity_rhk(rhk_id: str | None, state: SkpState) -> None:
    """An activity naming an RHK must name one of the employee's SKP for its month."""
    if rhk_id is not None and not state.has_rhk(rhk_id):
        raise Rejected("unknown_rhk", f"rhk_id: the SKP for the month has no RHK {rhk_id}",
                       "rhk_id")
