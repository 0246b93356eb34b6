"""SKPs (PermenPANRB 6/2022): an employee's plan for a period with targets, realisation and
feedback; a unit's cascade (each RHK with the subordinates' RHKs that support it)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from services.appraisal.entrypoints.http.access import Reads, not_found, require_read_all
from services.appraisal.projections import skp
from services.appraisal.service_layer import reads as views
from shared.auth import Principal
from shared.authority import month_line_date
from shared.events import Nip, Period


def skp_router(reads: Reads) -> APIRouter:
    router = APIRouter(tags=["skp"])
    Caller = Annotated[Principal, Depends(reads.principal)]

    @router.get("/employees/{nip}/skp/{period}")
    async def employee_skp(nip: Annotated[Nip, Path()], period: Annotated[Period, Path()],
                           caller: Caller) -> dict[str, Any]:
        """An employee's SKP for a period: each RHK (main or additional, the superior's RHK
        it supports) with its indicators, target, validated ``realisation`` (the latest
        approved report) and every report with its status and feedback; and the rater's
        confirmation or override. Read by the employee, their direct superior for the
        period, admins, auditors and dashboards; 404 ``not_found`` when none is set."""
        await reads.may_read(caller, nip, month_line_date(period, reads.clock.today()))
        async with reads.engine.connect() as conn:
            found = await skp.skp_of(conn, nip, period)
        if found is None:
            raise not_found("no SKP for this employee and period (yet)")
        return found

    @router.get("/units/{unit}/skp-cascade/{period}")
    async def unit_cascade(unit: str, period: Annotated[Period, Path()],
                           caller: Caller) -> dict[str, Any]:
        """A unit's cascade for a period: every RHK of its employees' SKPs with the
        subordinates' RHKs that support it (``supported_by``). Admins, auditors,
        dashboards."""
        require_read_all(caller)
        async with reads.engine.connect() as conn:
            return {"unit": unit, "period": period,
                    "results": await skp.cascade(conn, unit, period)}

    @router.get("/periods/{period}/distribution")
    async def distribution(period: Annotated[Period, Path()], caller: Caller) -> dict[str, Any]:
        """The distribution curve (kurva distribusi) for a period: for each unit with a
        recorded organisational predicate, its staff predicates, the bands of that
        predicate's curve they breach (``by``: people over an upper bound or missing to a
        lower one) and the policy's outcome (``warned`` or ``blocked``); ``position``, the
        global event position the projections stood at (the figures reflect at least the
        events up to it). ``recorded_checks``: every ``DistributionChecked`` intake recorded
        before closing the period (a refused early close's too), oldest first, each with
        its own ``position``, the position it reflected (``reflects_position``), its
        outcome, ``close_action`` (closed, refused, closed_by_date) and units;
        ``recorded_at_close``: the check the close went ahead with (null until then).
        Admins, auditors, dashboards (intake reads it as ``auditor`` before a close)."""
        require_read_all(caller)
        async with reads.engine.connect() as conn:
            return await views.distribution(conn, period)

    return router
