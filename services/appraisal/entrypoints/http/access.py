"""Who may read what, for every router: the role must allow the read and, for a
subordinate's data, the caller must be the owner's direct superior on the date the data is
about (an activity's work date; a month's last day, or today while it runs). Every read
allowed is noted, and recorded with the answer (``read_record``). The rules are
``shared.authority``; this module turns its refusals into 403 answers."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import HTTPException
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.entrypoints.http.read_record import note
from services.appraisal.projections.reporting_lines import superior_on
from shared.auth import Principal
from shared.authority import (
    Refusal,
    activity_read_refusal,
    allows,
    read_refusal,
    role_refusal,
)
from shared.clock import Clock
from shared.personal import Reveal


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
    """What every read router needs: the projection database, the caller, today, and the
    opener of sealed personal fields (for what is computed from them before it goes out)."""

    engine: AsyncEngine
    principal: Callable[..., Awaitable[Principal]]
    clock: Clock
    store_url: str
    """Intake's event store, read-only: a data subject's access export lists their events."""
    reveal: Reveal

    async def may_read(self, caller: Principal, nip: str, day: date) -> None:
        """``day``: the date whose reporting line counts."""
        superior = await self._superior(caller, nip, day)
        refusal = read_refusal(caller.role, caller.subject, nip, superior)
        if refusal is not None:
            raise forbidden(refusal)
        note(caller, nip)

    async def may_read_activity(self, caller: Principal, activity: Mapping[str, Any]) -> None:
        """An activity (its projection row): as :meth:`may_read` on its work date, and an
        e-service reads the ones of its own source."""
        superior = None
        if not allows(caller.role, "read_own_source"):
            superior = await self._superior(caller, activity["nip"], activity["work_date"])
        refusal = activity_read_refusal(caller.role, caller.subject, activity["source"],
                                        activity["nip"], superior)
        if refusal is not None:
            raise forbidden(refusal)
        note(caller, activity["nip"])

    async def _superior(self, caller: Principal, nip: str, day: date) -> str | None:
        """``nip``'s superior on ``day`` when the caller's read depends on it."""
        if allows(caller.role, "read_all") or caller.subject == nip:
            return None
        async with self.engine.connect() as conn:
            return await superior_on(conn, nip, day)
