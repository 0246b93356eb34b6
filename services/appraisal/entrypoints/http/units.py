"""Units: a unit's roll-up for a month."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from services.appraisal.entrypoints.http.access import Reads, require_read_all
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

    return router
