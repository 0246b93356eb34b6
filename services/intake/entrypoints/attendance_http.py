"""Attendance: a source's records (one or a batch), an employee's absence justification,
the unit head's decision on it."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake.domain import commands as c
from services.intake.domain.checks import require
from services.intake.domain.errors import Rejected
from services.intake.entrypoints.answers import Execute, PrincipalOf, answer_one, refusal
from shared.auth import Principal
from shared.http import ERROR_RESPONSES


class AttendanceItemResult(BaseModel):
    index: int
    status: str = Field(description="'accepted', 'duplicate' (the source sent this record "
                        "before: nothing new stored) or 'rejected'.")
    device_record_id: str
    event_id: str | None = None
    code: str | None = None
    message: str | None = None


def build_attendance_router(execute: Execute, principal: PrincipalOf, max_batch: int) -> (
    APIRouter
):
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["attendance"])
    Caller = Annotated[Principal, Depends(principal)]

    @router.post("/attendance", status_code=201)
    async def record_attendance(body: c.RecordAttendance, caller: Caller) -> Any:
        """An attendance source (role eservice) records a check-in, a check-out or an
        absence. Idempotent on (source, device_record_id): the same record again is
        answered ``duplicate``; other content under a used id is 409
        ``device_record_conflict``. Refusals: 404 ``unknown_employee``, 422
        ``time_required`` / ``time_not_allowed`` / ``reason_not_allowed``,
        ``day_in_future``, ``check_out_before_check_in``, ``check_in_after_check_out``,
        409 ``period_closed``."""
        return await answer_one(execute, caller, body)

    @router.post("/attendance/batch", response_model=list[AttendanceItemResult])
    async def record_attendance_batch(
        body: Annotated[list[c.RecordAttendance], Body(min_length=1, max_length=max_batch)],
        caller: Caller,
    ) -> Any:
        """Up to ``max_batch`` records, each accepted, duplicate or rejected alone, in order
        (a check-out may follow its check-in in the same batch)."""
        try:
            require(caller, "record_attendance")
        except Rejected as refused:
            return refusal(refused)
        results = await execute(caller, list(body))
        return [_item(i, cmd.device_record_id, result)
                for i, (cmd, result) in enumerate(zip(body, results, strict=True))]

    @router.post("/absence-justifications", status_code=201)
    async def justify_absence(body: c.JustifyAbsence, caller: Caller) -> Any:
        """The employee justifies their own absence (days of one month) with an evidence
        reference, until the policy's deadline (``attendance.justification_deadline_day``
        of the next month, the 3rd by default; that day included). Refusals: 403
        ``not_own_absence``, 409 ``justification_too_late``, ``justification_overlap``,
        ``period_closed``, 422 ``dates_reversed``, ``spans_months``, ``day_in_future``."""
        return await answer_one(execute, caller, body)

    @router.post("/absence-justifications/{justification_id}/decision", status_code=201)
    async def decide_justification(justification_id: Annotated[c.IsoUuid, Path()],
                                   body: c.JustificationDecisionBody,
                                   caller: Caller) -> JSONResponse:
        """The direct superior on the first day away (or an acting superior appointed for
        them that day) approves or rejects. Refusals: 403 ``not_direct_superior``,
        ``self_review``, 404 ``unknown_justification``, 409 ``justification_decided``,
        ``period_closed``."""
        command = c.DecideJustification(justification_id=justification_id,
                                        **body.model_dump())
        return await answer_one(execute, caller, command)

    return router


def _item(index: int, device_record_id: str, result: dict[str, Any] | Rejected) -> (
    AttendanceItemResult
):
    if isinstance(result, Rejected):
        return AttendanceItemResult(index=index, status="rejected",
                                    device_record_id=device_record_id, code=result.code,
                                    message=result.message)
    return AttendanceItemResult(index=index, status=result["status"],
                                device_record_id=device_record_id, event_id=result["event_id"])
