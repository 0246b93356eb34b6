"""Intake's HTTP API: commands in, answers out. Thin: each router authenticates, builds the
command, runs it through the execute port and answers (see ``answers``)."""

from fastapi import APIRouter

from services.intake.entrypoints.activities_http import build_activities_router
from services.intake.entrypoints.answers import Execute, ExecuteAtomic, PrincipalOf
from services.intake.entrypoints.attendance_http import build_attendance_router
from services.intake.entrypoints.erasure_http import EraseDue, build_erasure_router
from services.intake.entrypoints.finance_http import build_finance_router
from services.intake.entrypoints.objections_http import build_objections_router
from services.intake.entrypoints.periods_http import build_periods_router
from services.intake.entrypoints.roster_http import build_roster_router
from services.intake.entrypoints.skp_http import build_skp_router
from services.intake.entrypoints.validation_http import build_validation_router
from services.intake.service_layer.closing import Close


def build_router(execute: Execute, execute_atomic: ExecuteAtomic, close: Close,
                 principal: PrincipalOf, max_batch: int, erase_due: EraseDue) -> APIRouter:
    """Every command route: roster, activities, validation, month-level commands."""
    router = APIRouter()
    for part in (build_roster_router(execute, execute_atomic, principal),
                 build_activities_router(execute, principal, max_batch),
                 build_validation_router(execute, principal, max_batch),
                 build_periods_router(execute, close, principal),
                 build_attendance_router(execute, principal, max_batch),
                 build_finance_router(execute, principal),
                 build_skp_router(execute, principal),
                 build_objections_router(execute, principal),
                 build_erasure_router(execute, principal, erase_due)):
        router.include_router(part)
    return router
