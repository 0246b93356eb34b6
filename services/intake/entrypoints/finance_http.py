"""Money over HTTP: an employee's NPWP and bank account (admin), and the payment order
(SP2D) that paid a unit's month (treasurer). The bodies are personal data: nothing here
logs them."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from services.intake.domain import commands as c
from services.intake.entrypoints.answers import Execute, PrincipalOf, answer_one
from shared.auth import Principal
from shared.events import Nip
from shared.http import ERROR_RESPONSES


def build_finance_router(execute: Execute, principal: PrincipalOf) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["payroll"])
    Caller = Annotated[Principal, Depends(principal)]

    @router.put("/employees/{nip}/finance", status_code=201)
    async def record_finance_data(nip: Annotated[Nip, Path()], body: c.FinanceData,
                                  caller: Caller) -> Any:
        """Record (or correct) the NPWP and bank account an employee's TPP is paid to
        (admin). The NPWP is 16 digits (PMK 112/2022; a 15-digit one takes a leading 0),
        checked as a NIK when it does not begin with 0 (``invalid_npwp``)."""
        command = c.RecordFinanceData(nip=nip, **body.model_dump())
        return await answer_one(execute, caller, command)

    @router.post("/payments", status_code=201)
    async def record_payment(body: c.RecordPayment, caller: Caller) -> Any:
        """Record the payment order (SP2D) that paid a unit's TPP listing for a closed month
        (treasurer); the listing's rows then show ``paid`` with the reference. Refused: an
        open period (409 ``period_not_closed``), an SP2D dated within the month
        (``sp2d_before_period_end``) or after today (``sp2d_in_future``)."""
        return await answer_one(execute, caller, body)

    return router
