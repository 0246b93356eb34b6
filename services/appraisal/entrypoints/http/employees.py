"""Employees: one employee's month, and their roster entry with the reporting line on a
date."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from services.appraisal.adapters.access_pdf import access_pdf
from services.appraisal.entrypoints.http.access import Reads, forbidden, not_found
from services.appraisal.entrypoints.http.read_record import note
from services.appraisal.entrypoints.read_models import EmployeeAsOf
from services.appraisal.projections import attendance, discipline
from services.appraisal.service_layer import reads as views
from services.appraisal.service_layer.subject_access import access_export
from shared.auth import Principal
from shared.authority import month_line_date, role_refusal
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

    @router.get("/employees/{nip}/discipline/{period}")
    async def employee_discipline(nip: Annotated[Nip, Path()],
                                  period: Annotated[Period, Path()],
                                  caller: Caller) -> dict[str, Any]:
        """Discipline of one employee for a month (docs/attendance.md): days expected and
        present, lateness and leaving early by tier, absences justified or not,
        ``percentage`` after the policy's deductions with its ``reasons``, ``state``
        (provisional while the period is open, counted through ``counted_through``), and
        the month's ``justifications``. Read as the employee's month is: the employee,
        their direct superior on the month's last day (or today while it runs), admins,
        auditors and dashboards. 404 when no attendance is recorded for the month."""
        await reads.may_read(caller, nip, month_line_date(period, reads.clock.today()))
        async with reads.engine.connect() as conn:
            row = await discipline.row_of(conn, nip, period)
            if row is None:
                raise not_found("no attendance recorded for this month (yet)")
            row["justifications"] = await attendance.justifications_page(conn, nip, period)
        return row

    @router.get("/employees/{nip}")
    async def employee(nip: Annotated[Nip, Path()], caller: Caller,
                       as_of: Annotated[IsoDate | None, Query()] = None) -> EmployeeAsOf:
        """An employee's roster entry and their reporting line (direct superior, since when)
        on ``as_of`` (default: today, Asia/Jakarta). The unit (theirs and the superior's) is
        the one on that date, after any transfer (``POST /v1/transfers``); the position is
        the roster's current one. Read by the employee, their direct superior, admins,
        auditors and dashboards. A restricted employee's (or superior's) name and position
        read ``[restricted]`` to all but them and admins (``restricted`` says so)."""
        day = as_of or reads.clock.today()
        await reads.may_read(caller, nip, day)  # the direct superior on that date may
        async with reads.engine.connect() as conn:
            found = await views.employee_as_of(conn, nip, day)
            if found is None:
                raise not_found("no such employee (yet): it may still be on its way")
            return EmployeeAsOf(**await views.honouring_restrictions(conn, found, caller))

    async def export(nip: str, caller: Principal) -> dict[str, Any]:
        refused = role_refusal(caller.role, "export_personal_data")
        if refused is not None:
            raise forbidden(("role_not_allowed", refused))
        found = await access_export(reads.engine, reads.store_url, nip, reads.clock.today())
        if found is None:
            raise not_found("no such employee (yet): it may still be on its way")
        note(caller, nip)  # the export is a read of their data too
        opened: dict[str, Any] = await reads.reveal(found)  # the PDF too: not only JSON
        return opened

    @router.get("/employees/{nip}/access-export")
    async def access_export_json(nip: Annotated[Nip, Path()], caller: Caller) -> dict[str, Any]:
        """A data subject's access export (UU PDP art. 32; docs/privacy-rights.md): their
        roster entry, months, events and who read their data when, without other people's
        personal data (360° raters stay anonymous). Admins only."""
        return await export(nip, caller)

    @router.get("/employees/{nip}/access-export.pdf",
                responses={200: {"content": {"application/pdf": {
                    "schema": {"type": "string", "format": "binary"}}}}})
    async def access_export_pdf(nip: Annotated[Nip, Path()], caller: Caller) -> Response:
        """The access export as a printable PDF. Admins only."""
        found = await export(nip, caller)
        return Response(access_pdf(found), media_type="application/pdf", headers={
            "content-disposition": f'attachment; filename="access-{nip}.pdf"'})

    return router
