"""Objections (keberatan): an employee objects to a closed month's result; the rater's
superior decides (docs/objections.md)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from services.intake.domain import commands as c
from services.intake.entrypoints.answers import Execute, PrincipalOf, answer_one
from shared.auth import Principal
from shared.events import Nip, Period
from shared.http import ERROR_RESPONSES


def build_objections_router(execute: Execute, principal: PrincipalOf) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["objections"])
    Caller = Annotated[Principal, Depends(principal)]

    @router.post("/objections", status_code=201)
    async def file_objection(body: c.FileObjection, caller: Caller) -> Any:
        """Object to one's own result of a closed month, with reasons, within the policy's
        window (``objection_window_days`` from the close day). Refused: the close is not
        recorded (409 ``result_not_final``), the window has passed (409
        ``objection_window_expired``), an objection is already filed (409
        ``already_objected``), nobody to decide (422 ``no_decider``)."""
        return await answer_one(execute, caller, body)

    @router.post("/objections/{period}/{nip}/decision", status_code=201)
    async def decide_objection(period: Annotated[Period, Path()], nip: Annotated[Nip, Path()],
                               body: c.ObjectionDecision, caller: Caller) -> Any:
        """The decider (the rater's superior, or an acting official in their place today)
        upholds the objection with the new result or rejects it; final. The new result is
        ``approved_minutes`` / ``behaviour_score`` under the 2013 regime, ``results_rating`` /
        ``behaviour_rating`` under 2022 (the employee's policy). Refused: not the decider (403
        ``not_decider``), decided already (409 ``objection_decided``), no such objection (404
        ``unknown_objection``), upheld without new figures (422 ``new_result_required``),
        rejected with new figures (422 ``new_result_not_allowed``), the other regime's fields
        (422 ``result_of_other_regime``)."""
        command = c.DecideObjection(nip=nip, period=period, **body.model_dump())
        return await answer_one(execute, caller, command)

    return router
