"""Erasure of a person's personal data over HTTP (admin). The request is recorded at once;
the key is destroyed when the policy's retention has passed: right away when it has, else
by intake's eraser on the due day (docs/privacy.md)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.entrypoints.answers import Execute, PrincipalOf, refusal
from shared.auth import Principal
from shared.events import Nip
from shared.http import ERROR_RESPONSES

EraseDue = Callable[[], Awaitable[list[str]]]


def build_erasure_router(execute: Execute, principal: PrincipalOf,
                         erase_due: EraseDue) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["privacy"])
    Caller = Annotated[Principal, Depends(principal)]

    @router.post("/employees/{nip}/erasure", status_code=201)
    async def request_erasure(nip: Annotated[Nip, Path()], body: c.ErasureRequest,
                              caller: Caller) -> Any:
        """Ask for an employee's personal data (name, comments, notes, reasons, NPWP, bank
        account) to be erased, with the legal basis and a reference (admin). Their data key
        is destroyed once the governing policy's ``personal_data_retention_days`` have
        passed (``due_on``; ``status`` says ``erased`` when that is today already). Refused:
        an unknown employee (404 ``unknown_employee``), a second request (409
        ``erasure_already_requested``)."""
        (result,) = await execute(caller, [c.RequestErasure(nip=nip, **body.model_dump())])
        if isinstance(result, Rejected):
            return refusal(result)
        if nip in await erase_due():
            result = {**result, "status": "erased"}
        return JSONResponse(result, status_code=201)

    return router
