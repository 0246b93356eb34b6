"""The daily workflow beyond single reports and decisions: amending an activity sent back for
revision, and a superior's many decisions in one request."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from fastapi.responses import JSONResponse

from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.entrypoints.http import BatchItemResult, Execute, batch_item
from shared.auth import Principal
from shared.http import ERROR_RESPONSES, error_response


def build_workflow_router(
    execute: Execute, principal: Callable[..., Awaitable[Principal]], max_batch: int
) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)
    Caller = Annotated[Principal, Depends(principal)]

    @router.post("/activities/{activity_id}/revision", status_code=201, tags=["activities"])
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
        (result,) = await execute(caller, [command])
        if isinstance(result, Rejected):
            return error_response(result.status, result.code, result.message, result.field)
        return JSONResponse(result, status_code=201)

    @router.post("/activities/decisions", tags=["validation"])
    async def decide_activities(
        body: Annotated[list[c.DecideActivity], Body(min_length=1, max_length=max_batch)],
        caller: Caller,
    ) -> list[BatchItemResult]:
        """Decide up to ``max_batch`` activities at once; each item is checked exactly as a
        single decision would be, and accepted or rejected alone."""
        results = await execute(caller, list(body))
        return [batch_item(i, cmd.activity_id, result)
                for i, (cmd, result) in enumerate(zip(body, results, strict=True))]

    return router
