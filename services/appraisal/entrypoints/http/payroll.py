"""Payroll: a unit's month in Rupiah, its hand-off files, and employees' finance data.

NPWP and bank accounts are read unmasked by treasurers and admins (``read_finance``) only;
auditors and dashboards see the listing masked, an employee their own data masked. The
files are the treasurer's and admin's, for a closed period."""

import re
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import Response

from services.appraisal.adapters import payroll_files as files
from services.appraisal.adapters.payroll_pdf import recap_pdf
from services.appraisal.domain.payroll_listing import (
    Listing,
    PayrollRow,
    mask_row,
    masked,
    totals,
)
from services.appraisal.entrypoints.http.access import Reads, forbidden, not_found
from services.appraisal.projections import finance
from services.appraisal.service_layer.payroll import listing
from shared.auth import Principal
from shared.authority import allows, role_refusal
from shared.events import Nip, Period

_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_FILE = {"content": {kind: {"schema": {"type": "string", "format": "binary"}}
                     for kind in _TYPES.values()}}


PeriodPath = Annotated[Period, Path()]
UnitPath = Annotated[str, Path(max_length=100)]


def require_finance(caller: Principal) -> None:
    message = role_refusal(caller.role, "read_finance")
    if message is not None:
        raise forbidden(("role_not_allowed", message))


def payroll_router(reads: Reads) -> APIRouter:
    router = APIRouter(tags=["payroll"])
    Caller = Annotated[Principal, Depends(reads.principal)]

    async def closed_listing(period: str, unit: str, caller: Principal) -> Listing:
        require_finance(caller)
        async with reads.engine.connect() as conn:
            found = await listing(conn, period, unit, reveal=reads.reveal)
        if not found.closed:
            raise HTTPException(409, {"code": "period_not_closed", "message":
                                      f"period: {period} is not closed; no hand-off yet"})
        return found

    @router.get("/periods/{period}/units/{unit}/payroll")
    async def payroll(period: PeriodPath, unit: UnitPath, caller: Caller) -> dict[str, Any]:
        """A unit's TPP for a month, one row per employee with eligibility: base, shares,
        deductions, gross, tax, net, status (``provisional``, ``under_objection``,
        ``final``, ``payable``, ``paid``), policy version and reasons, with totals and the
        event position it was computed at. NPWP and bank account unmasked for treasurer
        and admin, masked for auditor and dashboard; other roles 403."""
        refused = role_refusal(caller.role, "read_finance", "read_all")
        if refused is not None:
            raise forbidden(("role_not_allowed", refused))
        async with reads.engine.connect() as conn:
            found = await listing(conn, period, unit, reveal=reads.reveal)
        hide = not allows(caller.role, "read_finance")
        return _document(found, hide)

    @router.get("/periods/{period}/units/{unit}/payroll/listing.csv", responses={200: _FILE})
    async def listing_csv(period: PeriodPath, unit: UnitPath, caller: Caller) -> Response:
        """The payroll listing for BPKAD as CSV (treasurer, admin; closed period)."""
        found = await closed_listing(period, unit, caller)
        return _file(files.csv_bytes(files.listing_table(found)), "csv", found, "listing")

    @router.get("/periods/{period}/units/{unit}/payroll/listing.xlsx", responses={200: _FILE})
    async def listing_xlsx(period: PeriodPath, unit: UnitPath, caller: Caller) -> Response:
        """The listing and the deductions recap as one XLSX workbook (treasurer, admin)."""
        found = await closed_listing(period, unit, caller)
        data = files.xlsx_bytes({"Listing": files.listing_table(found),
                                 "Deductions": files.deductions_table(found)})
        return _file(data, "xlsx", found, "listing")

    @router.get("/periods/{period}/units/{unit}/payroll/deductions.csv",
                responses={200: _FILE})
    async def deductions_csv(period: PeriodPath, unit: UnitPath, caller: Caller) -> Response:
        """The deductions recap (rekapan potongan TPP) as CSV (treasurer, admin)."""
        found = await closed_listing(period, unit, caller)
        return _file(files.csv_bytes(files.deductions_table(found)), "csv", found,
                     "deductions")

    @router.get("/periods/{period}/units/{unit}/payroll/recap.pdf", responses={200: _FILE})
    async def recap(period: PeriodPath, unit: UnitPath, caller: Caller) -> Response:
        """The printable recap with totals, policy, position and signature blocks."""
        found = await closed_listing(period, unit, caller)
        return _file(recap_pdf(found), "pdf", found, "recap")

    @router.get("/employees/{nip}/finance")
    async def finance_data(nip: Annotated[Nip, Path()], caller: Caller) -> dict[str, Any]:
        """An employee's NPWP and bank account: unmasked for treasurer and admin; masked
        for auditor, dashboard and the employee themself; 403 for anyone else."""
        unmasked = allows(caller.role, "read_finance")
        if not (unmasked or allows(caller.role, "read_all") or caller.subject == nip):
            raise forbidden(("role_not_allowed", "finance data is the treasurer's and "
                             "admin's (masked: auditor, dashboard, the employee)"))
        async with reads.engine.connect() as conn:
            row = await reads.reveal((await finance.by_nip(conn, [nip])).get(nip))
        if row is None:
            raise not_found(f"nip: no finance data recorded for {nip}")
        shown = {"npwp": row["npwp"], "bank_name": row["bank_name"],
                 "bank_account": row["bank_account"]}
        if not unmasked:
            shown |= {"npwp": masked(row["npwp"]), "bank_account": masked(row["bank_account"])}
        return {"nip": nip, **shown, "masked": not unmasked}

    return router


def _file(data: bytes, kind: str, found: Listing, name: str) -> Response:
    unit = re.sub(r"[^A-Za-z0-9._-]", "_", found.unit)  # a header value, whatever the code
    filename = f"tpp-{found.period}-{unit}-{found.position}-{name}.{kind}"
    return Response(data, media_type=_TYPES[kind],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _document(found: Listing, hide: bool) -> dict[str, Any]:
    rows = [mask_row(row) if hide else row for row in found.rows]
    return {"period": found.period, "unit": found.unit, "position": found.position,
            "closed": found.closed, "policy_versions": found.policy_versions,
            "payment": None if found.payment is None else {
                "sp2d_number": found.payment.sp2d_number,
                "sp2d_date": found.payment.sp2d_date.isoformat()},
            "masked": hide, "totals": totals(rows), "rows": [_row(row) for row in rows]}


def _row(row: PayrollRow) -> dict[str, Any]:
    amounts = {k: v for k, v in asdict(row.amounts).items() if k != "reasons"}
    return {**asdict(row.payee), **(asdict(row.finance) if row.finance else
                                    {"npwp": None, "bank_name": None, "bank_account": None}),
            **amounts, "deductions": row.amounts.deductions, "status": row.status,
            "policy_version": row.policy_version, "reasons": list(row.reasons)}
