"""Periods: a period's eligibility list and the policy in force."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from services.appraisal.entrypoints.http.access import Reads, require_read_all
from services.appraisal.entrypoints.read_models import PolicyInForce
from services.appraisal.projections import eligibility as eligibility_rows
from services.appraisal.service_layer import reads as views
from shared.auth import Principal
from shared.events import Period


def periods_router(reads: Reads) -> APIRouter:
    router = APIRouter()
    Caller = Annotated[Principal, Depends(reads.principal)]

    @router.get("/periods/{period}/eligibility", tags=["eligibility"])
    async def eligibility(period: Annotated[Period, Path()], caller: Caller,
                          unit: str | None = None,
                          offset: Annotated[int, Query(ge=0)] = 0,
                          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        """The eligibility list of a period, paged, optionally for one unit.

        Each row has a ``pace``: for the running (open) month, the approved minutes against
        the month-to-date target — ``working_days_elapsed`` (Monday-Friday, today included)
        of ``working_days_total``, ``target_to_date`` (monthly target x elapsed / total),
        ``pct_of_target_to_date``, and ``score_at_pace`` / ``category_at_pace`` scored as
        the month is but against that target. Computed at query time from today's date
        (Asia/Jakarta); null for past, future and closed periods. The row's own figures
        are the month's, unchanged. A row under the PermenPANRB 6/2022 regime also has
        ``regime`` ("2022"), ``predicate`` (its ``category``) and ``ratings`` (results and
        behaviour: derived, override, final; who confirmed; the override's reason), a null
        ``score`` and no pace (docs/performance-2022.md)."""
        require_read_all(caller)
        async with reads.engine.connect() as conn:
            page = await eligibility_rows.page(conn, period, unit, offset, limit)
            page["items"] = await views.with_pace(conn, page["items"], reads.clock.today())
            return page

    @router.get("/periods/{period}/policy", tags=["policy"])
    async def policy(period: Annotated[Period, Path()], caller: Caller) -> PolicyInForce:
        """The allowance policy in force for a period (the one its eligibility is computed
        with) and whether the period is closed. Any authenticated caller: the rules are
        everyone's to know."""
        async with reads.engine.connect() as conn:
            found = await views.policy_in_force(conn, period, reads.clock.today())
        if found is None:
            raise HTTPException(404, {"code": "no_policy",
                                      "message": f"period: no policy governs {period}"})
        return PolicyInForce(**found)

    return router
