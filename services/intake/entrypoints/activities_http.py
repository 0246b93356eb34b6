"""Reporting activities: one, a batch, and amending one sent back for revision."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path

from services.intake.domain import commands as c
from services.intake.domain.checks import REPORT_ACTIONS
from services.intake.entrypoints.answers import (
    BatchItemResult,
    Execute,
    PrincipalOf,
    answer_batch,
    answer_one,
)
from shared.auth import Principal
from shared.http import ERROR_RESPONSES


def build_activities_router(execute: Execute, principal: PrincipalOf, max_batch: int) -> (
    APIRouter
):
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["activities"])
    Caller = Annotated[Principal, Depends(principal)]

    @router.post("/activities", status_code=201)
    async def report_activity(body: c.ReportActivity, caller: Caller) -> Any:
        """Report one activity. A retry with the same activity_id gets the same answer."""
        return await answer_one(execute, caller, body)

    @router.post("/activities/batch", response_model=list[BatchItemResult])
    async def report_activities(
        body: Annotated[list[c.ReportActivity], Body(min_length=1, max_length=max_batch)],
        caller: Caller,
    ) -> Any:
        """Report up to ``max_batch`` activities; each item is accepted or rejected alone
        (a role that may not report at all is refused as a whole, 403)."""
        return await answer_batch(execute, caller, list(body), *REPORT_ACTIONS)

    @router.post("/activities/{activity_id}/revision", status_code=201)
    async def revise_activity(activity_id: Annotated[c.IsoUuid, Path()],
                              body: c.ActivityRevision, caller: Caller) -> Any:
        """Amend an activity the direct superior sent back for revision; it is pending again.

        Only the owner (role employee or superior) may, or the e-service that reported it.
        The amended content passes the checks of a report: minute bounds, the day's total
        (without the activity's old minutes), the period open; a *new* work_date must also
        lie inside the backdating window. Refusals: 403 ``not_own_activity`` /
        ``not_own_source``, 404 ``unknown_activity``, 409 ``not_revision_requested`` (also
        for a repeated revision: the activity is pending again) or ``period_closed``.
        """
        command = c.ReviseActivity(activity_id=activity_id, **body.model_dump())
        return await answer_one(execute, caller, command)

    return router
