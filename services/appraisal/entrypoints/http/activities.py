"""Activities: one activity's validation status and history, and a superior's queue."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from services.appraisal.entrypoints.http.access import Reads, forbidden, not_found
from services.appraisal.projections import activities
from shared.auth import Principal
from shared.authority import queue_refusal
from shared.events import Nip


def activities_router(reads: Reads) -> APIRouter:
    router = APIRouter()
    Caller = Annotated[Principal, Depends(reads.principal)]

    @router.get("/activities/{activity_id}", tags=["activities"])
    async def activity(activity_id: str, caller: Caller) -> dict[str, Any]:
        """An activity's validation status and its history. Read by its owner, their direct
        superior on the work date, the roles that read everything, and the e-service that
        reported it (403 ``not_own_source`` for another e-service's)."""
        async with reads.engine.connect() as conn:
            row = await activities.activity(conn, activity_id)
        if row is None:
            raise not_found("no such activity (yet): it may still be on its way")
        await reads.may_read_activity(caller, row)
        return row

    @router.get("/superiors/{nip}/pending", tags=["validation"])
    async def pending(nip: Annotated[Nip, Path()], caller: Caller,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
        """A superior's queue of activities waiting for validation, oldest first."""
        refusal = queue_refusal(caller.role, caller.subject, nip)
        if refusal is not None:
            raise forbidden(refusal)
        async with reads.engine.connect() as conn:
            return await activities.pending_queue(conn, nip, limit)

    return router
