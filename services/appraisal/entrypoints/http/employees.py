"""Employees: one employee's month, and their roster entry with the reporting line on a
date."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from services.appraisal.entrypoints.http.access import Reads, not_found
from services.appraisal.entrypoints.read_models import EmployeeAsOf
from services.appraisal.service_layer import reads as views
from shared.auth import Principal
from shared.authority import month_line_date
from shared.events import Nip, Period
from shared.strict import IsoDate


def employees_router(reads: Reads) -> APIRouter:
    router = APIRouter(tags=["employees"])
    Caller = Annotated[Principal, Depends(reads.principal)]

    @router.get("/employees/{nip}/months/{period}")
    async def employee_month(nip: Annotated[Nip, Path()], period: Annotated[Period, Path()],
                             caller: Caller) -> dict[str, Any]:
        """Minutes by status, 360 aggregate and eligibility of one employee for a month;
        in the running month the eligibility carries its ``pace`` (see the eligibility list)."""
        today = reads.clock.today()
        await reads.may_read(caller, nip, month_line_date(period, today))
        async with reads.engine.connect() as conn:
            month = await views.employee_month(conn, nip, period)
            if month["eligibility"] is not None:
                (month["eligibility"],) = await views.with_pace(conn, [month["eligibility"]],
                                                                today)
            return month

    @router.get("/employees/{nip}")
    async def employee(nip: Annotated[Nip, Path()], caller: Caller,
                       as_of: Annotated[IsoDate | None, Query()] = None) -> EmployeeAsOf:
        """An employee's roster entry and their reporting line (direct superior, since when)
        on ``as_of`` (default: today, Asia/Jakarta). The unit and position are the roster's
        current ones: unit history is not tracked yet (transfers are a later issue). Read
        by the employee, their direct superior, admins, auditors and dashboards."""
        day = as_of or reads.clock.today()
        await reads.may_read(caller, nip, day)  # the direct superior on that date may
        async with reads.engine.connect() as conn:
            found = await views.employee_as_of(conn, nip, day)
        if found is None:
            raise not_found("no such employee (yet): it may still be on its way")
        return EmployeeAsOf(**found)

    return router
