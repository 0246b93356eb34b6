"""What the dashboard's charts show, shaped from the chart queries: minutes by status over
the days of a month, the validation backlog by age, eligibility categories per unit, and
the consumer's lag over time. The shaping is pure (``*_of`` functions); ``now`` is passed
in."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters import chart_queries
from services.appraisal.metrics import LagSample
from shared.periods import first_day, last_day

Row = dict[str, Any]
STATUSES = ("approved", "pending", "revision_requested", "rejected", "not_validated")
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("under 1 day", 0, 24), ("1-2 days", 24, 48), ("2-3 days", 48, 72),
    ("3-7 days", 72, 168), ("7 days or more", 168, None))
"""(label, from hours inclusive, to hours exclusive or open)."""


def days_of(period: str, rows: Iterable[tuple[date, str, int]]) -> list[Row]:
    """Every day of the month, with its minutes by status (0 where none)."""
    days = {first_day(period) + timedelta(days=n): dict.fromkeys(STATUSES, 0)
            for n in range(last_day(period).day)}
    for day, status, minutes in rows:
        days[day][status] += minutes
    return [{"day": day, **minutes} for day, minutes in days.items()]


def _hours(now: datetime, moment: datetime) -> float:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (now - aware).total_seconds() / 3600


def backlog_of(now: datetime, rows: Iterable[tuple[datetime, int]]) -> list[Row]:
    """Activities and minutes waiting for validation, by how long they have waited."""
    buckets: list[Row] = [{"age": label, "from_hours": low, "to_hours": high, "activities": 0,
                "minutes": 0} for label, low, high in AGE_BUCKETS]
    for reported_at, minutes in rows:
        hours = _hours(now, reported_at)
        bucket = next((b for b in reversed(buckets) if hours >= b["from_hours"]), buckets[0])
        bucket["activities"] += 1
        bucket["minutes"] += minutes
    return buckets


def categories_of(rows: Iterable[tuple[str, str, int]]) -> list[Row]:
    """One row per unit: how many of its employees fall in each category."""
    units: dict[str, dict[str, int]] = {}
    for unit, category, count in rows:
        units.setdefault(unit, {})[category] = count
    return [{"unit": unit, "categories": counts} for unit, counts in units.items()]


def lag_of(samples: Iterable[LagSample]) -> list[Row]:
    return [{"at": datetime.fromtimestamp(s.at, UTC), "positions": s.positions,
             "seconds": s.seconds} for s in samples]


async def minutes_by_day(conn: AsyncConnection, period: str, unit: str | None) -> list[Row]:
    return days_of(period, await chart_queries.minutes_by_day(conn, period, unit))


async def backlog(conn: AsyncConnection, unit: str | None, now: datetime) -> list[Row]:
    return backlog_of(now, await chart_queries.waiting_for_validation(conn, unit))


async def categories_by_unit(conn: AsyncConnection, period: str) -> list[Row]:
    return categories_of(await chart_queries.categories_by_unit(conn, period))
