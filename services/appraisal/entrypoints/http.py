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
from services.appraisal.adapters import workflow_queries as wq
from services.appraisal.entrypoints.read_models import EmployeeAsOf, PolicyInForce
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
from shared.strict import IsoDate


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
        """Minutes by status, 360 aggregate and eligibility of one employee for a month;
        in the running month the eligibility carries its ``pace`` (see the eligibility list)."""
        await may_read(caller, nip, month_line_date(period, clock.today()))
        async with engine.connect() as conn:
            month = await queries.employee_month(conn, nip, period)
            if month["eligibility"] is not None:
                (month["eligibility"],) = await wq.with_pace(conn, [month["eligibility"]],
                                                             clock.today())
            return month

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
        """The eligibility list of a period, paged, optionally for one unit.

        Each row has a ``pace``: for the running (open) month, the approved minutes against
        the month-to-date target — ``working_days_elapsed`` (Monday-Friday, today included)
        of ``working_days_total``, ``target_to_date`` (monthly target x elapsed / total),
        ``pct_of_target_to_date``, and ``score_at_pace`` / ``category_at_pace`` scored as
        the month is but against that target. Computed at query time from today's date
        (Asia/Jakarta); null for past, future and closed periods. The row's own figures
        are the month's, unchanged."""
        require_read_all(caller)
        async with engine.connect() as conn:
            page = await queries.eligibility_page(conn, period, unit, offset, limit)
            page["items"] = await wq.with_pace(conn, page["items"], clock.today())
            return page

    @router.get("/periods/{period}/policy", tags=["policy"])
    async def policy(period: Annotated[Period, Path()], caller: Caller) -> PolicyInForce:
        """The allowance policy in force for a period (the one its eligibility is computed
        with) and whether the period is closed. Any authenticated caller: the rules are
        everyone's to know."""
        async with engine.connect() as conn:
            found = await wq.policy_in_force(conn, period, clock.today())
        if found is None:
            raise HTTPException(404, {"code": "no_policy",
                                      "message": f"period: no policy governs {period}"})
        return PolicyInForce(**found)

    @router.get("/employees/{nip}", tags=["employees"])
    async def employee(nip: Annotated[Nip, Path()], caller: Caller,
                       as_of: Annotated[IsoDate | None, Query()] = None) -> EmployeeAsOf:
        """An employee's roster entry and their reporting line (direct superior, since when)
        on ``as_of`` (default: today, Asia/Jakarta). The unit and position are the roster's
        current ones: unit history is not tracked yet (transfers are a later issue). Read
        by the employee, their direct superior, admins, auditors and dashboards."""
        day = as_of or clock.today()
        await may_read(caller, nip, day)  # the direct superior on that date may
        async with engine.connect() as conn:
            found = await wq.employee_as_of(conn, nip, day)
        if found is None:
            raise _not_found("no such employee (yet): it may still be on its way")
        return EmployeeAsOf(**found)

    return router
