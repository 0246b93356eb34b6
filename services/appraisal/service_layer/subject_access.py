"""A data subject's access export (UU PDP art. 7, 32, 33): their data in the projections
(roster entry and reporting line, every month's minutes, 360° aggregate and eligibility),
their events from the event store, and who read their data when. Nothing of other people
beyond what the person's own record needs: a superior by NIP, position and unit (not
name), a 360° rater not at all (``domain.subject_access``)."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.appraisal.adapters import personal_reads, subject_events
from services.appraisal.domain.subject_access import disclosed
from services.appraisal.projections import restrictions
from services.appraisal.projections.eligibility import eligibility
from services.appraisal.projections.employee_months import employee_months
from services.appraisal.service_layer import reads as views

NOTES = (
    "Events are the ones whose subject you are, from the event store; 360° reviews of you "
    "are listed without their raters, scores or comments (raters stay anonymous); the "
    "months show their aggregates, with detail only where enough colleagues rated.",
    "Your superior is named by NIP, position and unit only.",
    "Reads lists every read of your personal data through the query API: when, by whom "
    "(a NIP, an e-service or admin), in which role, through which endpoint.",
)


async def access_export(engine: AsyncEngine, store_url: str, nip: str, today: date) -> (
    dict[str, Any] | None
):
    """The export, or None when ``nip`` is not on the roster (yet)."""
    async with engine.connect() as conn:
        person = await views.employee_as_of(conn, nip, today)
        if person is None:
            return None
        person["restricted"] = await restrictions.is_restricted(conn, nip)
        months = [await views.employee_month(conn, nip, period)
                  for period in await _periods_of(conn, nip)]
        reads = await personal_reads.reads_of(conn, nip)
    found = await subject_events.events_about(store_url, nip)
    return {"subject_nip": nip, "produced_at": datetime.now(UTC), "person": _own(person),
            "months": months, "events": [disclosed(event) for event in found],
            "reads": reads, "notes": list(NOTES)}


async def _periods_of(conn: AsyncConnection, nip: str) -> list[str]:
    m, e = employee_months.c, eligibility.c
    query = union(select(m.period).where(m.nip == nip), select(e.period).where(e.nip == nip))
    return sorted((await conn.scalars(query)).all())


def _own(person: dict[str, Any]) -> dict[str, Any]:
    """The roster entry without another person's name (the superior's)."""
    line = person.get("reporting_line")
    if line is not None:
        person = {**person, "reporting_line": {k: v for k, v in line.items()
                                               if k != "superior_name"}}
    return person
