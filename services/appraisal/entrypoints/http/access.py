"""Who may read what, for every router: the role must allow the read and, for a
subordinate's data, the caller must be the owner's direct superior on the date the data is
about (an activity's work date; a month's last day, or today while it runs). The rules are
``shared.authority``; this module turns its refusals into 403 answers."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from fastapi import HTTPException
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.projections.reporting_lines import superior_on
from shared.auth import Principal
from shared.authority import Refusal, allows, read_refusal, role_refusal
from shared.clock import Clock


def forbidden(refusal: Refusal) -> HTTPException:
    return HTTPException(403, {"code": refusal[0], "message": refusal[1]})


def not_found(message: str) -> HTTPException:
    return HTTPException(404, {"code": "not_found", "message": message})


def require_read_all(caller: Principal) -> None:
    message = role_refusal(caller.role, "read_all")
    if message is not None:
        raise forbidden(("role_not_allowed", message))


@dataclass(frozen=True)
class Reads:
    """What every read router needs: the projection database, the caller, today."""

    engine: AsyncEngine
    principal: Callable[..., Awaitable[Principal]]
    clock: Clock

    async def may_read(self, caller: Principal, nip: str, day: date) -> None:
        """``day``: the date whose reporting line counts."""
        superior = None
        if not allows(caller.role, "read_all") and caller.subject != nip:
            async with self.engine.connect() as conn:
                superior = await superior_on(conn, nip, day)
        refusal = read_refusal(caller.role, caller.subject, nip, superior)
        if refusal is not None:
            raise forbidden(refusal)
