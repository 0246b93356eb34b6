"""SKP (PermenPANRB 6/2022) over HTTP: the superior sets a subordinate's planned results,
the employee reports realisation with evidence, the superior validates it and confirms or
overrides the derived ratings."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.intake.domain import commands as c
from services.intake.entrypoints.answers import Execute, PrincipalOf, answer_one
from shared.auth import Principal
from shared.http import ERROR_RESPONSES


def build_skp_router(execute: Execute, principal: PrincipalOf) -> APIRouter:
    router = APIRouter(prefix="/v1/skp", responses=ERROR_RESPONSES, tags=["skp"])
    Caller = Annotated[Principal, Depends(principal)]

    @router.post("", status_code=201)
    async def set_skp(body: c.SetSkp, caller: Caller) -> Any:
        """The direct superior for the period (or an acting one) sets or replaces a
        subordinate's SKP: RHKs (main or additional), each optionally supporting an RHK of
        the superior's own SKP (``unknown_superior_rhk`` otherwise), with indicators and
        targets. Event ``SkpSet``."""
        return await answer_one(execute, caller, body)

    @router.post("/realisations", status_code=201)
    async def report_realisation(body: c.ReportRealisation, caller: Caller) -> Any:
        """The employee reports the realisation so far of an indicator of their own SKP,
        with a reference to the evidence (``no_skp``, ``unknown_indicator`` 404). Event
        ``RealisationReported``; it waits for validation."""
        return await answer_one(execute, caller, body)

    @router.post("/realisation-decisions", status_code=201)
    async def decide_realisation(body: c.DecideRealisation, caller: Caller) -> Any:
        """The direct superior approves, rejects or sends back a reported realisation, with
        feedback; only a pending one (409 ``not_pending``). Event ``RealisationValidated``."""
        return await answer_one(execute, caller, body)

    @router.post("/ratings", status_code=201)
    async def rate_performance(body: c.RatePerformance, caller: Caller) -> Any:
        """The rater (direct superior) confirms the ratings derived for the period (no
        override) or overrides results and/or behaviour with a reason (422
        ``reason_required``). Event ``PerformanceRated``; the latest one counts."""
        return await answer_one(execute, caller, body)

    @router.post("/organisational-predicates", status_code=201)
    async def record_organisational_predicate(body: c.RecordOrganisationalPredicate,
                                              caller: Caller) -> Any:
        """An admin records a unit's own organisational predicate for a period (a key of
        the governing policy's distribution curve, 422 ``unknown_predicate``); the latest
        counts. Event ``OrganisationalPredicateRecorded``."""
        return await answer_one(execute, caller, body)

    return router
