"""The dashboard: one HTML page with its scripts (served from the package: no build step,
no CDN) over the query API, and the extra read endpoints it needs (periods, units, people,
and the charts' aggregates). Read only, for dashboard-type roles."""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.entrypoints.dashboard_models import (
    BacklogBucket,
    DayMinutes,
    LagHistory,
    LagPoint,
    UnitCategories,
)
from services.appraisal.entrypoints.http.access import require_read_all
from services.appraisal.metrics import LagHistory as LagRing
from services.appraisal.service_layer import charts, roster
from services.appraisal.service_layer.reads import dashboard_periods
from shared.auth import Principal
from shared.clock import Clock
from shared.events import Period
from shared.http import ERROR_RESPONSES

HERE = Path(__file__).parent
PAGE = HERE / "dashboard.html"
SCRIPTS = {name: HERE / name for name in ("dashboard.js", "charts.js", "chart_panels.js")}
Unit = Annotated[str | None, Query(min_length=1, max_length=100,
                                   description="Only this unit (default: all).")]
MonthQuery = Annotated[Period, Query(description="The month, YYYY-MM.")]
AsOfDay = Annotated[date | None, Query(description="The day (default: today, Asia/Jakarta).")]


def build_dashboard_router(engine: AsyncEngine, principal: Callable[..., Awaitable[Principal]],
                           lag: LagRing, clock: Clock) -> APIRouter:
    router = APIRouter()
    api = APIRouter(prefix="/v1/dashboard", tags=["dashboard"], responses=ERROR_RESPONSES)
    Caller = Annotated[Principal, Depends(principal)]

    @router.get("/", include_in_schema=False, response_class=HTMLResponse)
    @router.get("/dashboard", response_class=HTMLResponse, tags=["dashboard"])
    async def page() -> HTMLResponse:
        """The dashboard page; paste a dashboard token or pass ``?token=``."""
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    def script_route(name: str, path: Path) -> None:
        @router.get(f"/dashboard/{name}", include_in_schema=False, name=name)
        async def script() -> FileResponse:
            return FileResponse(path, media_type="text/javascript")

    for name, path in SCRIPTS.items():
        script_route(name, path)

    @api.get("/periods")
    async def periods(caller: Caller) -> list[dict[str, Any]]:
        """Periods with reported work, newest first, and whether they are closed."""
        require_read_all(caller)
        async with engine.connect() as conn:
            return await dashboard_periods(conn)

    @api.get("/units")
    async def units(caller: Caller, as_of: AsOfDay = None) -> list[dict[str, Any]]:
        """Units with their head counts on a day: each employee counted in the unit they
        belong to that day (after a transfer, the new one)."""
        require_read_all(caller)
        async with engine.connect() as conn:
            return await roster.units(conn, as_of or clock.today())

    @api.get("/people")
    async def people(caller: Caller, unit: str | None = None, structural: bool | None = None,
                     limit: Annotated[int, Query(ge=1, le=5000)] = 500,
                     as_of: AsOfDay = None) -> list[dict[str, Any]]:
        """Employees of a unit (or all) on a day, optionally only structural officials;
        ``unit`` is the one each belongs to that day (after a transfer, the new one)."""
        require_read_all(caller)
        async with engine.connect() as conn:
            return await roster.people(conn, unit, structural, limit, as_of or clock.today())

    @api.get("/minutes-by-day")
    async def minutes_by_day(caller: Caller, period: MonthQuery, unit: Unit = None) -> (
        list[DayMinutes]
    ):
        """Minutes by validation status over every day of the month (by work date)."""
        require_read_all(caller)
        async with engine.connect() as conn:
            return [DayMinutes(**row) for row in
                    await charts.minutes_by_day(conn, period, unit)]

    @api.get("/backlog")
    async def backlog(caller: Caller, unit: Unit = None) -> list[BacklogBucket]:
        """Activities waiting for validation now, by how long since they were reported."""
        require_read_all(caller)
        now = datetime.now(UTC)  # reported_at is intake's wall-clock stamp: age on the same
        async with engine.connect() as conn:
            return [BacklogBucket(**row) for row in await charts.backlog(conn, unit, now)]

    @api.get("/categories")
    async def categories(caller: Caller, period: MonthQuery) -> list[UnitCategories]:
        """Per unit, how many employees fall in each eligibility category for the month."""
        require_read_all(caller)
        async with engine.connect() as conn:
            return [UnitCategories(**row) for row in
                    await charts.categories_by_unit(conn, period)]

    @api.get("/lag")
    async def lag_history(caller: Caller) -> LagHistory:
        """The projection consumer's lag over time (records and seconds behind the store)."""
        require_read_all(caller)
        return LagHistory(every_s=lag.every_s,
                          samples=[LagPoint(**row) for row in charts.lag_of(lag.samples)])

    router.include_router(api)
    return router
