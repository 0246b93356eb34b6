"""What every HTTP route of intake shares: the execute port it calls, the caller dependency,
and how an answer or a refusal becomes a response."""

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake.domain.checks import require
from services.intake.domain.errors import Rejected
from shared.auth import Principal
from shared.authority import Action
from shared.http import error_response

Execute = Callable[[Principal, list[Any]], Awaitable[list[dict[str, Any] | Rejected]]]
"""Runs commands for a caller (group-committed); one answer or refusal per command."""
ExecuteAtomic = Callable[[Principal, list[Any], bool], Awaitable[list[tuple[int, Rejected]]]]
"""Runs commands all or nothing (or as a dry run); the refused ones as (index, reason)."""
PrincipalOf = Callable[..., Awaitable[Principal]]
"""The FastAPI dependency that authenticates the caller."""


class BatchItemResult(BaseModel):
    index: int
    status: str = Field(description="'accepted' or 'rejected'.")
    activity_id: UUID | None = None
    code: str | None = None
    message: str | None = None


def refusal(rejected: Rejected) -> JSONResponse:
    return error_response(rejected.status, rejected.code, rejected.message, rejected.field)


async def answer_one(execute: Execute, caller: Principal, command: Any,
                     status: int = 201) -> JSONResponse:
    """Run one command; its answer, or its refusal with the refusal's status."""
    (result,) = await execute(caller, [command])
    if isinstance(result, Rejected):
        return refusal(result)
    return JSONResponse(result, status_code=status)


async def answer_batch(execute: Execute, caller: Principal, commands: list[Any],
                       *actions: Action) -> list[BatchItemResult] | JSONResponse:
    """Run many activity commands; each item accepted or rejected alone. A caller whose role
    may do none of ``actions`` is refused as a whole (403 ``role_not_allowed``)."""
    try:
        require(caller, *actions)
    except Rejected as refused:
        return refusal(refused)
    results = await execute(caller, commands)
    return [batch_item(i, command.activity_id, result)
            for i, (command, result) in enumerate(zip(commands, results, strict=True))]


def batch_item(index: int, activity_id: UUID, result: dict[str, Any] | Rejected) -> (
    BatchItemResult
):
    if isinstance(result, Rejected):
        return BatchItemResult(index=index, status="rejected", activity_id=activity_id,
                               code=result.code, message=result.message)
    return BatchItemResult(index=index, status="accepted", activity_id=activity_id)
