"""Commands about a month as a whole: 360 reviews, closing a period, the policy that
governs periods."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path

from services.intake.domain import commands as c
from services.intake.entrypoints.answers import Execute, PrincipalOf, answer_one
from shared.auth import Principal
from shared.events import Period
from shared.http import ERROR_RESPONSES
from shared.policy import Policy


class NoBody(c.Command):
    """This request takes no fields: send no body, or ``{}``."""


def build_periods_router(execute: Execute, principal: PrincipalOf) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)
    Caller = Annotated[Principal, Depends(principal)]

    @router.post("/reviews", status_code=201, tags=["360"])
    async def submit_review(body: c.SubmitBehaviourReview, caller: Caller) -> Any:
        """Rate a colleague for a month; the relation is derived from the reporting lines."""
        return await answer_one(execute, caller, body)

    @router.post("/periods/{period}/close", status_code=201, tags=["periods"])
    async def close_period(period: Annotated[Period, Path()], caller: Caller,
                           body: Annotated[NoBody | None, Body()] = None) -> Any:
        """Close a month (admin): nothing in it changes afterwards."""
        # ``body`` is only validated: a body with fields is refused like any unknown field
        return await answer_one(execute, caller, c.ClosePeriod(period=period))

    @router.post("/policies", status_code=201, tags=["policy"])
    async def publish_policy(body: Policy, caller: Caller) -> Any:
        """Publish an allowance policy version (admin). Publishing it again is a no-op."""
        return await answer_one(execute, caller, body)

    return router
