"""Appraisal's query API for dashboards, apps and auditors. Read only.

Who may read what follows ``shared.authority``: the role must allow the read and, for a
subordinate's data, the caller must be the owner's direct superior on the date the data is
about (an activity's work date; a month's last day, or today while it runs).
"""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters import queries
from shared.auth import Principal
from shared.authority import (
    Refusal,
    allows,
    month_line_date,
    queue_refusal,
    read_refusal,
    role_refusal,
)
from shared.clock import Clock
from shared.events import Nip, Period
from shared.http import ERROR_RESPONSES


def _forbidden(refusal: Refusal) -> HTTPException:
    return HTTPException(403, {"code": refusal[0], "message": refusal[1]})


def _not_found(message: str) -> HTTPException:
    return HTTPException(404, {"code": "not_found", "message": message})


def require_read_all(caller: Principal) -> None:
    message = role_refusal(caller.role, "read_all")
    if message is not None:
        raise _forbidden(("role_not_allowed", message))


def build_router(engine: AsyncEngine, principal: Callable[..., Awaitable[Principal]],
                 clock: Clock) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)
    Caller = Annotated[Principal, Depends(principal)]

    async def may_read(caller: Principal, nip: str, day: date) -> None:
        """``day``: the date whose reporting line counts."""
        superior = None
        if not allows(caller.role, "read_all") and caller.subject != nip:
            async with engine.connect() as conn:
                superior = await queries.superior_on(conn, nip, day)
        refusal = read_refusal(caller.role, caller.subject, nip, superior)
        if refusal is not None:
            raise _forbidden(refusal)

    @router.get("/activities/{activity_id}", tags=["activities"])
    async def activity(activity_id: str, caller: Caller) -> dict[str, Any]:
        """An activity's validation status and its history."""
        async with engine.connect() as conn:
            row = await queries.activity(conn, activity_id)
        if row is None:
            raise _not_found("no such activity (yet): it may still be on its way")
        await may_read(caller, row["nip"], row["work_date"])
        return row

    @router.get("/employees/{nip}/months/{period}", tags=["employees"])
    async def employee_month(nip: Annotated[Nip, Path()], period: Annotated[Period, Path()],
                             caller: Caller) -> dict[str, Any]:
        """Minutes by status, 360 aggregate and eligibility of one employee for a month."""
        await may_read(caller, nip, month_line_date(period, clock.today()))
        async with engine.connect() as conn:
            return await queries.employee_month(conn, nip, period)

    @router.get("/superiors/{nip}/pending", tags=["validation"])
    async def pending(nip: Annotated[Nip, Path()], caller: Caller,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
        """A superior's queue of activities waiting for validation, oldest first."""
        refusal = queue_refusal(caller.role, caller.subject, nip)
        if refusal is not None:
            raise _forbidden(refusal)
        async with engine.connect() as conn:
            return await queries.pending_queue(conn, nip, limit)

    @router.get("/units/{unit}/months/{period}", tags=["units"])
    async def unit_month(unit: str, period: Annotated[Period, Path()],
                         caller: Caller) -> dict[str, Any]:
        """A unit's roll-up for a month."""
        require_read_all(caller)
        async with engine.connect() as conn:
            return await queries.unit_month(conn, unit, period)

    @router.get("/periods/{period}/eligibility", tags=["eligibility"])
    async def eligibility(period: Annotated[Period, Path()], caller: Caller,
                          unit: str | None = None,
                          offset: Annotated[int, Query(ge=0)] = 0,
                          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        """The eligibility list of a period, paged, optionally for one unit."""
        require_read_all(caller)
        async with engine.connect() as conn:
            return await queries.eligibility_page(conn, period, unit, offset, limit)

    return router
