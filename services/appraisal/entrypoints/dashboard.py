"""The dashboard: one HTML page (no build step, no CDN) over the query API, and the few extra
read endpoints it needs (periods, units, people). Read only, for dashboard-type roles."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.entrypoints.http.access import require_read_all
from services.appraisal.projections import employees
from services.appraisal.service_layer.reads import dashboard_periods
from shared.auth import Principal
from shared.http import ERROR_RESPONSES

PAGE = Path(__file__).with_name("dashboard.html")


def build_dashboard_router(engine: AsyncEngine, principal: Callable[..., Awaitable[Principal]]) -> (
    APIRouter
):
    router = APIRouter()
    api = APIRouter(prefix="/v1/dashboard", tags=["dashboard"], responses=ERROR_RESPONSES)
    Caller = Annotated[Principal, Depends(principal)]

    @router.get("/", include_in_schema=False, response_class=HTMLResponse)
    @router.get("/dashboard", response_class=HTMLResponse, tags=["dashboard"])
    async def page() -> HTMLResponse:
        """The dashboard page; paste a dashboard token or pass ``?token=``."""
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    @api.get("/periods")
    async def periods(caller: Caller) -> list[dict[str, Any]]:
        """Periods with reported work, newest first, and whether they are closed."""
        require_read_all(caller)
        async with engine.connect() as conn:
            return await dashboard_periods(conn)

    @api.get("/units")
    async def units(caller: Caller) -> list[dict[str, Any]]:
        """Units with their head counts."""
        require_read_all(caller)
        async with engine.connect() as conn:
            return await employees.units(conn)

    @api.get("/people")
    async def people(caller: Caller, unit: str | None = None, structural: bool | None = None,
                     limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
        """Employees of a unit (or all), optionally only structural officials."""
        require_read_all(caller)
        async with engine.connect() as conn:
            return await employees.people(conn, unit, structural, limit)

    router.include_router(api)
    return router
