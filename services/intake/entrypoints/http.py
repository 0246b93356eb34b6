"""Intake's HTTP API: commands in, answers out. Thin: each router authenticates, builds the
command, runs it through the execute port and answers (see ``answers``)."""

from fastapi import APIRouter

from services.intake.entrypoints.activities_http import build_activities_router
from services.intake.entrypoints.answers import Execute, ExecuteAtomic, PrincipalOf
from services.intake.entrypoints.periods_http import build_periods_router
from services.intake.entrypoints.roster_http import build_roster_router
from services.intake.entrypoints.validation_http import build_validation_router


def build_router(execute: Execute, execute_atomic: ExecuteAtomic, principal: PrincipalOf,
                 max_batch: int) -> APIRouter:
    """Every command route: roster, activities, validation, month-level commands."""
    router = APIRouter()
    for part in (build_roster_router(execute, execute_atomic, principal),
                 build_activities_router(execute, principal, max_batch),
                 build_validation_router(execute, principal, max_batch),
                 build_periods_router(execute, principal)):
        router.include_router(part)
    return router
