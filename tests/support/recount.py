"""Oracles that do not run the projection code: counts made directly from the events, and
the same figures read back from a projection database with plain SQL.

A test that compares two runs of the projection (checksums of one batching against
another, a replay against the live tables) passes when both share a wrong rule; checking
one of them against :func:`recount` too catches that.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_engine
from shared.envelope import EventEnvelope

MONTH_TOTALS = text(
    "SELECT coalesce(sum(pending_minutes + approved_minutes + rejected_minutes"
    " + revision_minutes + not_validated_minutes), 0), coalesce(sum(approved_minutes), 0),"
    " coalesce(sum(rejected_minutes), 0) FROM employee_months")


def recount(envelopes: Iterable[EventEnvelope]) -> dict[str, int]:
    """What any projection of these events holds: every activity once, all their minutes
    (as last amended), the minutes whose last decision since then approved or rejected
    them, the employees, the closed periods, the 360 reviews (one per period, ratee and
    rater)."""
    minutes: dict[str, int] = {}
    last: dict[str, str] = {}
    employees: set[str] = set()
    closed: set[str] = set()
    reviews: set[tuple[str, str, str]] = set()
    for envelope in envelopes:
        payload = envelope.payload
        if envelope.event_type == "ActivityReported":
            minutes[payload["activity_id"]] = payload["minutes"]
        elif envelope.event_type == "ActivityRevised":  # amended minutes, waiting again
            minutes[payload["activity_id"]] = payload["minutes"]
            last.pop(payload["activity_id"], None)
        elif envelope.event_type == "EmployeeRegistered":
            employees.add(payload["nip"])
        elif envelope.event_type == "PeriodClosed":
            closed.add(payload["period"])
        elif envelope.event_type == "ReviewSubmitted":
            review = payload["review"]
            if review["kind"] == "validation":
                last[review["activity_id"]] = review["decision"]
            else:
                reviews.add((review["period"], review["ratee_nip"], review["rater_nip"]))
    decided = {d: sum(m for a, m in minutes.items() if last.get(a) == d)
               for d in ("approved", "rejected")}
    return {"activities": len(minutes), "minutes": sum(minutes.values()), **decided,
            "employees": len(employees), "closed": len(closed), "reviews": len(reviews)}


async def projected(target: str | AsyncEngine) -> dict[str, int]:
    """The :func:`recount` figures as a projection database holds them (PostgreSQL or
    SQLite; a URL, or an engine the caller keeps)."""
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        async with engine.connect() as conn:
            total, approved, rejected = (await conn.execute(MONTH_TOTALS)).one()

            async def count(table: str) -> int:
                return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())

            return {"activities": await count("activities"), "minutes": int(total),
                    "approved": int(approved), "rejected": int(rejected),
                    "employees": await count("employees"), "closed": await count("closed_periods"),
                    "reviews": await count("behaviour_reviews")}
    finally:
        if isinstance(target, str):
            await engine.dispose()


ELIGIBILITY_COLUMNS = ("approved_minutes", "results_pct", "behaviour_score", "score",
                       "category", "allowance_pct", "state")


async def eligibility_row(url: str, nip: str, period: str) -> dict[str, Any] | None:
    """One employee-month's eligibility figures as stored."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text(
                f"SELECT {', '.join(ELIGIBILITY_COLUMNS)} FROM eligibility "
                "WHERE nip = :nip AND period = :period"), {"nip": nip, "period": period})).first()
    finally:
        await engine.dispose()
    return None if row is None else dict(row._mapping)
