"""Appraisal's query API for dashboards, apps and auditors. Read only."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters import queries
from shared.auth import Principal
from shared.events import Nip, Period
from shared.http import ERROR_RESPONSES

READERS_OF_ALL = {"admin", "auditor", "dashboard"}


def _forbidden(message: str) -> HTTPException:
    return HTTPException(403, {"code": "not_allowed", "message": message})


def _not_found(message: str) -> HTTPException:
    return HTTPException(404, {"code": "not_found", "message": message})


def build_router(engine: AsyncEngine, principal: Callable[..., Awaitable[Principal]]) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)
    Caller = Annotated[Principal, Depends(principal)]

    async def may_read(caller: Principal, nip: str) -> None:
        if caller.role in READERS_OF_ALL or (caller.is_person and caller.subject == nip):
            return
        if caller.is_person:
            async with engine.connect() as conn:
                if await queries.superior_of(conn, nip) == caller.subject:
                    return
        raise _forbidden("you may read only your own data and your direct subordinates'")

    @router.get("/activities/{activity_id}", tags=["activities"])
    async def activity(activity_id: str, caller: Caller) -> dict[str, Any]:
        """An activity's validation status and its history."""
        async with engine.connect() as conn:
            row = await queries.activity(conn, activity_id)
        if row is None:
            raise _not_found("no such activity (yet): it may still be on its way")
        await may_read(caller, row["nip"])
        return row

    @router.get("/employees/{nip}/months/{period}", tags=["employees"])
    async def employee_month(nip: Annotated[Nip, Path()], period: Annotated[Period, Path()],
                             caller: Caller) -> dict[str, Any]:
        """Minutes by status, 360 aggregate and eligibility of one employee for a month."""
        await may_read(caller, nip)
        async with engine.connect() as conn:
            return await queries.employee_month(conn, nip, period)

    @router.get("/superiors/{nip}/pending", tags=["validation"])
    async def pending(nip: Annotated[Nip, Path()], caller: Caller,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
        """A superior's queue of activities waiting for validation, oldest first."""
        if not (caller.role in READERS_OF_ALL or caller.subject == nip):
            raise _forbidden("a superior sees only their own queue")
        async with engine.connect() as conn:
            return await queries.pending_queue(conn, nip, limit)

    @router.get("/units/{unit}/months/{period}", tags=["units"])
    async def unit_month(unit: str, period: Annotated[Period, Path()],
                         caller: Caller) -> dict[str, Any]:
        """A unit's roll-up for a month."""
        if caller.role not in READERS_OF_ALL:
            raise _forbidden("unit roll-ups are for admins, auditors and dashboards")
        async with engine.connect() as conn:
            return await queries.unit_month(conn, unit, period)

    @router.get("/periods/{period}/eligibility", tags=["eligibility"])
    async def eligibility(period: Annotated[Period, Path()], caller: Caller,
                          unit: str | None = None,
                          offset: Annotated[int, Query(ge=0)] = 0,
                          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        """The eligibility list of a period, paged, optionally for one unit."""
        if caller.role not in READERS_OF_ALL:
            raise _forbidden("eligibility lists are for admins, auditors and dashboards")
        async with engine.connect() as conn:
            return await queries.eligibility_page(conn, period, unit, offset, limit)

    return router
