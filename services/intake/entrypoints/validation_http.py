"""Validation: the direct superior decides on activities, one or many at a time."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import Field

from services.intake.domain import commands as c
from services.intake.entrypoints.answers import (
    BatchItemResult,
    Execute,
    PrincipalOf,
    answer_batch,
    answer_one,
)
from shared.auth import Principal
from shared.events import Decision
from shared.http import ERROR_RESPONSES


class DecisionBody(c.Command):
    """The body of a decision; the activity comes from the path."""

    decision: Decision = Field(description="approved, rejected or revision_requested.")
    note: c.Text | None = Field(None, max_length=500, description="Reason for the owner.")


def build_validation_router(execute: Execute, principal: PrincipalOf, max_batch: int) -> (
    APIRouter
):
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["validation"])
    Caller = Annotated[Principal, Depends(principal)]

    @router.post("/activities/{activity_id}/decision", status_code=201)
    async def decide_activity(activity_id: Annotated[c.IsoUuid, Path()], body: DecisionBody,
                              caller: Caller) -> Any:
        """The direct superior approves, rejects or asks to revise an activity."""
        command = c.DecideActivity(activity_id=activity_id, **body.model_dump())
        return await answer_one(execute, caller, command)

    @router.post("/activities/decisions", response_model=list[BatchItemResult])
    async def decide_activities(
        body: Annotated[list[c.DecideActivity], Body(min_length=1, max_length=max_batch)],
        caller: Caller,
    ) -> Any:
        """Decide up to ``max_batch`` activities at once; each item is checked exactly as a
        single decision would be, and accepted or rejected alone (a role that may not
        decide at all is refused as a whole, 403)."""
        return await answer_batch(execute, caller, list(body), "decide_activity")

    return router
