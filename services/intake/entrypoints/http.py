"""Intake's HTTP API: commands in, answers out. Thin: authenticate, run the handler, answer."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from shared.auth import Principal
from shared.events import Decision, Period
from shared.http import ERROR_RESPONSES, error_response
from shared.policy import Policy

Execute = Callable[[Principal, list[Any]], Awaitable[list[dict[str, Any] | Rejected]]]


class DecisionBody(c.Command):
    """The body of a decision; the activity comes from the path."""

    decision: Decision = Field(description="approved, rejected or revision_requested.")
    note: c.Text | None = Field(None, max_length=500, description="Reason for the owner.")


class NoBody(c.Command):
    """This request takes no fields: send no body, or ``{}``."""


class BatchItemResult(BaseModel):
    index: int
    status: str = Field(description="'accepted' or 'rejected'.")
    activity_id: UUID | None = None
    code: str | None = None
    message: str | None = None


def _reject(rejected: Rejected) -> JSONResponse:
    return error_response(rejected.status, rejected.code, rejected.message, rejected.field)


def build_router(
    execute: Execute, principal: Callable[..., Awaitable[Principal]], max_batch: int
) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)
    Caller = Annotated[Principal, Depends(principal)]

    async def one(caller: Principal, command: Any, status: int = 201) -> Any:
        (result,) = await execute(caller, [command])
        if isinstance(result, Rejected):
            return _reject(result)
        return JSONResponse(result, status_code=status)

    @router.post("/employees", status_code=201, tags=["roster"])
    async def register_employee(body: c.RegisterEmployee, caller: Caller) -> Any:
        """Add an employee to the roster or correct their details (admin)."""
        return await one(caller, body)

    @router.post("/reporting-lines", status_code=201, tags=["roster"])
    async def change_reporting_line(body: c.ChangeReportingLine, caller: Caller) -> Any:
        """Set who an employee reports to from a date on (admin)."""
        return await one(caller, body)

    @router.post("/activities", status_code=201, tags=["activities"])
    async def report_activity(body: c.ReportActivity, caller: Caller) -> Any:
        """Report one activity. A retry with the same activity_id gets the same answer."""
        return await one(caller, body)

    @router.post("/activities/batch", tags=["activities"])
    async def report_activities(
        body: Annotated[list[c.ReportActivity], Body(min_length=1, max_length=max_batch)],
        caller: Caller,
    ) -> list[BatchItemResult]:
        """Report up to ``max_batch`` activities; each item is accepted or rejected alone."""
        results = await execute(caller, list(body))
        return [batch_item(i, cmd.activity_id, r)
                for i, (cmd, r) in enumerate(zip(body, results, strict=True))]

    @router.post("/activities/{activity_id}/decision", status_code=201, tags=["validation"])
    async def decide_activity(activity_id: Annotated[c.IsoUuid, Path()], body: DecisionBody,
                              caller: Caller) -> Any:
        """The direct superior approves, rejects or asks to revise an activity."""
        command = c.DecideActivity(activity_id=activity_id, **body.model_dump())
        return await one(caller, command)

    @router.post("/reviews", status_code=201, tags=["360"])
    async def submit_review(body: c.SubmitBehaviourReview, caller: Caller) -> Any:
        """Rate a colleague for a month; the relation is derived from the reporting lines."""
        return await one(caller, body)

    @router.post("/periods/{period}/close", status_code=201, tags=["periods"])
    async def close_period(period: Annotated[Period, Path()], caller: Caller,
                           body: Annotated[NoBody | None, Body()] = None) -> Any:
        """Close a month (admin): nothing in it changes afterwards."""
        # ``body`` is only validated: a body with fields is refused like any unknown field
        return await one(caller, c.ClosePeriod(period=period))

    @router.post("/policies", status_code=201, tags=["policy"])
    async def publish_policy(body: Policy, caller: Caller) -> Any:
        """Publish an allowance policy version (admin). Publishing it again is a no-op."""
        return await one(caller, body)

    return router


def batch_item(index: int, activity_id: UUID, result: dict[str, Any] | Rejected) -> (
    BatchItemResult
):
    if isinstance(result, Rejected):
        return BatchItemResult(index=index, status="rejected", activity_id=activity_id,
                               code=result.code, message=result.message)
    return BatchItemResult(index=index, status="accepted", activity_id=activity_id)
