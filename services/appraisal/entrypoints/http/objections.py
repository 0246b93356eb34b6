"""Objections (keberatan): a decider's queue with ages, and one employee's objection."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from services.appraisal.entrypoints.http.access import Reads, forbidden, not_found
from services.appraisal.projections import objections
from shared.auth import Principal
from shared.authority import allows, month_line_date, queue_refusal
from shared.events import Nip, Period


def objections_router(reads: Reads) -> APIRouter:
    router = APIRouter(tags=["objections"])
    Caller = Annotated[Principal, Depends(reads.principal)]

    @router.get("/superiors/{nip}/objections")
    async def awaiting(nip: Annotated[Nip, Path()], caller: Caller) -> dict[str, Any]:
        """The objections waiting for this decider (the raters' superior), oldest first, each
        with ``age_days`` (today, Asia/Jakarta, minus the day filed) and its ``deadline``;
        with those waiting for a head in whose place this official acts today (Plt / Plh),
        ``acting_for`` naming that head (null on the decider's own). Read by the decider
        themself (``superior`` token) and the roles that read everything (403
        ``not_own_queue`` for another superior's)."""
        refusal = queue_refusal(caller.role, caller.subject, nip)
        if refusal is not None:
            raise forbidden(refusal)
        today = reads.clock.today()
        async with reads.engine.connect() as conn:
            items = await objections.awaiting(conn, nip, today)
        return {"decider_nip": nip, "as_of": today, "items": items}

    @router.get("/employees/{nip}/objections/{period}")
    async def objection(nip: Annotated[Nip, Path()], period: Annotated[Period, Path()],
                        caller: Caller) -> dict[str, Any]:
        """An employee's objection to a month: ``status`` (``under_objection``, ``upheld``,
        ``rejected``), the reasons, who decides, and the decision. Read as the employee's
        month is (the employee, their direct superior on the month's last day, the roles
        that read everything) and by its decider."""
        async with reads.engine.connect() as conn:
            row = await objections.objection_of(conn, nip, period)
        decider = row is not None and row["decider_nip"] == caller.subject
        if not (decider and allows(caller.role, "decide_objection")):
            await reads.may_read(caller, nip, month_line_date(period, reads.clock.today()))
        if row is None:
            raise not_found("no objection to this month (yet): it may still be on its way")
        return row

    return router
