"""Commands about a month as a whole: 360 reviews, closing a period, the policy that
governs periods."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from fastapi.responses import JSONResponse

from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.entrypoints.answers import Execute, PrincipalOf, answer_one, refusal
from services.intake.service_layer.closing import Close
from shared.auth import Principal
from shared.events import Period
from shared.http import ERROR_RESPONSES, STORE_RETRY_AFTER_S, error_response
from shared.policy import Policy


class NoBody(c.Command):
    """This request takes no fields: send no body, or ``{}``."""


def build_periods_router(execute: Execute, close: Close, principal: PrincipalOf) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)
    Caller = Annotated[Principal, Depends(principal)]

    @router.post("/reviews", status_code=201, tags=["360"])
    async def submit_review(body: c.SubmitBehaviourReview, caller: Caller) -> Any:
        """Rate a colleague for a month; the relation is derived from the reporting lines."""
        return await answer_one(execute, caller, body)

    @router.post("/periods/{period}/close", status_code=201, tags=["periods"])
    async def close_period(period: Annotated[Period, Path()], caller: Caller,
                           body: Annotated[NoBody | None, Body()] = None) -> Any:
        """Close a month (admin): nothing in it changes afterwards.

        When a PermenPANRB 6/2022 policy governs the month (for any agency), the close first
        reads appraisal's distribution-curve check and records it as ``DistributionChecked``
        (what was known at the close), then ``PeriodClosed``; the answer names the check's
        ``curve_outcome`` and ``close_action``. Under a ``block`` policy a breach refuses a
        close before the close day (409 ``curve_breached``, naming the units; the check is
        still recorded); from the close day on the month closes with the breach on record
        (``closed_by_date``). Appraisal unreachable: 503 ``appraisal_unavailable`` with
        ``Retry-After``, nothing recorded."""
        # ``body`` is only validated: a body with fields is refused like any unknown field
        result = await close(caller, period)
        if isinstance(result, Rejected) and result.status == 503:
            return error_response(result.status, result.code, result.message, result.field,
                                  {"Retry-After": str(STORE_RETRY_AFTER_S)})
        if isinstance(result, Rejected):
            return refusal(result)
        return JSONResponse(result, status_code=201)

    @router.post("/policies", status_code=201, tags=["policy"])
    async def publish_policy(body: Policy, caller: Caller) -> Any:
        """Publish an allowance policy version (admin). Publishing it again is a no-op."""
        return await answer_one(execute, caller, body)

    return router
