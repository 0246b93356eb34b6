"""Units: a unit's roll-up for a month."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from services.appraisal.entrypoints.http.access import Reads, require_read_all
from services.appraisal.projections import discipline
from services.appraisal.service_layer import reads as views
from shared.auth import Principal
from shared.events import Period


def units_router(reads: Reads) -> APIRouter:
    router = APIRouter(tags=["units"])
    Caller = Annotated[Principal, Depends(reads.principal)]

    @router.get("/units/{unit}/months/{period}")
    async def unit_month(unit: str, period: Annotated[Period, Path()],
                         caller: Caller) -> dict[str, Any]:
        """A unit's roll-up for a month: employees reporting, minutes by status, and how
        many fall in each category."""
        require_read_all(caller)
        async with reads.engine.connect() as conn:
            return await views.unit_month(conn, unit, period)

    @router.get("/units/{unit}/discipline/{period}")
    async def unit_discipline(unit: str, period: Annotated[Period, Path()], caller: Caller,
                              offset: Annotated[int, Query(ge=0)] = 0,
                              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> (
        dict[str, Any]
    ):
        """A unit's discipline rows for a month, by NIP (admins, auditors, dashboards)."""
        require_read_all(caller)
        async with reads.engine.connect() as conn:
            return await discipline.unit_page(conn, unit, period, offset, limit)

    return router
