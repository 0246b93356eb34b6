"""The roster over HTTP: an employee, a reporting line, or a whole CSV file (stored whole or
not at all)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from services.intake.domain import commands as c
from services.intake.entrypoints.answers import Execute, ExecuteAtomic, PrincipalOf, answer_one
from services.intake.entrypoints.roster_csv import COLUMNS, RowError, parse_roster
from shared.auth import Principal
from shared.http import ERROR_RESPONSES, require_action

MAX_BYTES = 20 * 1024 * 1024
_CSV_BODY = {"requestBody": {"required": True, "content": {"text/csv": {
    "schema": {"type": "string"},
    "example": ",".join(COLUMNS) + "\n196804111993031009,Budi,SAMSAT-01,Kepala,"
               "true,PNS,12,,2026-01-01\n"}}}}


def build_roster_router(execute: Execute, execute_atomic: ExecuteAtomic,
                        principal: PrincipalOf) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["roster"])
    Caller = Annotated[Principal, Depends(principal)]

    @router.post("/employees", status_code=201)
    async def register_employee(body: c.RegisterEmployee, caller: Caller) -> Any:
        """Add an employee to the roster or correct their details (admin)."""
        return await answer_one(execute, caller, body)

    @router.post("/reporting-lines", status_code=201)
    async def change_reporting_line(body: c.ChangeReportingLine, caller: Caller) -> Any:
        """Set who an employee reports to from a date on (admin)."""
        return await answer_one(execute, caller, body)

    @router.post("/transfers", status_code=201)
    async def transfer_employee(body: c.TransferEmployee, caller: Caller) -> Any:
        """Move an employee to another unit and superior from ``effective_from`` (day D) on
        (admin): the days before D stay with the old unit and superior, so validation
        authority, 360 relations, unit roll-ups and eligibility follow the dates. Checked as
        a reporting line is (``unknown_employee``, ``unknown_superior``,
        ``reporting_cycle``)."""
        return await answer_one(execute, caller, body)

    @router.post("/acting-appointments", status_code=201)
    async def appoint_acting_superior(body: c.AppointActingSuperior, caller: Caller) -> Any:
        """Appoint an acting superior (Plt / Plh) in a head's place from ``valid_from`` to
        ``valid_to`` (admin): on those days they validate and 360-rate the head's direct
        subordinates as the head would, and each decision records ``acting_for``. A head's
        appointments may not overlap (409 ``acting_overlap``); nobody acts for themself
        (``self_appointment``); ``valid_to`` before ``valid_from`` is ``dates_reversed``."""
        return await answer_one(execute, caller, body)

    @router.post("/processing-restrictions", status_code=201, tags=["personal data"])
    async def restrict_processing(body: c.RestrictProcessing, caller: Caller) -> Any:
        """Restrict the processing of an employee's personal data (admin; UU PDP art. 11;
        docs/privacy-rights.md): the read APIs withhold their personal fields from everyone
        but the employee and admins and say ``restricted``, until it is lifted."""
        return await answer_one(execute, caller, body)

    @router.post("/processing-restrictions/lift", status_code=201, tags=["personal data"])
    async def lift_processing_restriction(body: c.LiftProcessingRestriction,
                                          caller: Caller) -> Any:
        """Lift an employee's restriction of processing (admin)."""
        return await answer_one(execute, caller, body)

    @router.post("/employees/import", status_code=201, openapi_extra=_CSV_BODY)
    async def import_roster(request: Request, caller: Caller) -> Any:
        """Import an agency's roster: every bad row is reported with its line number, field
        and reason, and a file with any bad row stores nothing (admin). Cells are parsed
        strictly: structural is ``true`` or ``false`` (any letter case; empty = false),
        job_class digits only (1..17; empty = 1), dates ``YYYY-MM-DD``."""
        require_action(caller, "manage_roster")
        return await _import(execute_atomic, caller, await _csv_text(request))

    return router


async def _csv_text(request: Request) -> str:
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise HTTPException(413, {"code": "too_large", "message": "CSV over 20 MiB"})
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, {"code": "not_utf8", "message": "CSV must be UTF-8"}) from exc


async def _import(execute_atomic: ExecuteAtomic, caller: Principal, text: str) -> Any:
    numbered, errors = parse_roster(text)
    if not errors and not numbered:
        errors = [RowError(1, None, "the file has no rows")]
    if numbered:  # also checks the rules of good rows, so one reply lists every problem
        refused = await execute_atomic(caller, [command for _, command in numbered],
                                       bool(errors))
        errors += [RowError(numbered[i][0], r.field, r.message) for i, r in refused]
    if errors:
        return _invalid_rows(errors)
    return {"imported": sum(1 for _, cmd in numbered if isinstance(cmd, c.RegisterEmployee))}


def _invalid_rows(errors: list[RowError]) -> JSONResponse:
    errors = sorted(errors, key=lambda e: e.line)
    return JSONResponse(status_code=422, content={"error": {
        "code": "invalid_rows",
        "message": f"{len(errors)} bad row(s); nothing was imported",
        "field": None,
        "rows": [{"line": e.line, "field": e.field, "message": e.message} for e in errors],
    }})
