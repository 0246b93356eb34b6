"""Appraisal's query API for dashboards, apps and auditors, one router per resource. Read
only; who may read what is ``access``."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.entrypoints.http.access import Reads
from services.appraisal.entrypoints.http.activities import activities_router
from services.appraisal.entrypoints.http.employees import employees_router
from services.appraisal.entrypoints.http.objections import objections_router
from services.appraisal.entrypoints.http.payroll import payroll_router
from services.appraisal.entrypoints.http.periods import periods_router
from services.appraisal.entrypoints.http.skp import skp_router
from services.appraisal.entrypoints.http.units import units_router
from shared.auth import Principal
from shared.clock import Clock
from shared.http import ERROR_RESPONSES
from shared.personal import Reveal


def build_router(engine: AsyncEngine, principal: Callable[..., Awaitable[Principal]],
                 clock: Clock, store_url: str, reveal: Reveal) -> APIRouter:
    reads = Reads(engine, principal, clock, store_url, reveal)
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)
    for part in (activities_router, employees_router, units_router, periods_router,
                 payroll_router, skp_router, objections_router):
        router.include_router(part(reads))
    return router
