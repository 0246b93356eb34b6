"""Read queries over the projections, for the query API and the dashboard."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters import tables as t
from services.appraisal.domain.eligibility import Inputs
from services.appraisal.domain.scoring import Rating, behaviour

Row = dict[str, Any]


async def activity(conn: AsyncConnection, activity_id: str) -> Row | None:
    row = (await conn.execute(select(t.activities)
                              .where(t.activities.c.activity_id == activity_id))).first()
    if row is None:
        return None
    history = await conn.execute(select(t.activity_history)
                                 .where(t.activity_history.c.activity_id == activity_id)
                                 .order_by(t.activity_history.c.position))
    return {**row._mapping, "history": [dict(h._mapping) for h in history]}


async def employee(conn: AsyncConnection, nip: str) -> Row | None:
    row = (await conn.execute(select(t.employees).where(t.employees.c.nip == nip))).first()
    return dict(row._mapping) if row else None


async def employee_month(conn: AsyncConnection, nip: str, period: str) -> Row:
    month = (await conn.execute(select(t.employee_months).where(
        t.employee_months.c.nip == nip, t.employee_months.c.period == period))).first()
    eligibility = (await conn.execute(select(t.eligibility).where(
        t.eligibility.c.nip == nip, t.eligibility.c.period == period))).first()
    return {
        "nip": nip, "period": period,
        "minutes": dict(month._mapping) if month else None,
        "behaviour": await behaviour_aggregate(conn, nip, period),
        "eligibility": dict(eligibility._mapping) if eligibility else None,
    }


async def behaviour_aggregate(conn: AsyncConnection, nip: str, period: str) -> Row | None:
    """360 aggregate per indicator and relation, detail hidden below the minimum raters."""
    person = await employee(conn, nip)
    reviews = await conn.execute(select(t.behaviour_reviews).where(
        t.behaviour_reviews.c.ratee_nip == nip, t.behaviour_reviews.c.period == period))
    policies = [dict(r._mapping) for r in await conn.execute(select(t.policies))]
    closed = {r.period: r.position for r in await conn.execute(select(t.periods))}
    policy = Inputs({}, {}, {}, policies, closed).policy_for(period)
    if person is None or policy is None:
        return None
    ratings = [Rating(r.rater_nip, r.relation, r.scores) for r in reviews]
    result = behaviour(ratings, policy, person["structural"])
    if result is None:
        return None
    return {"score": result.score, "category": result.category, "raters": dict(result.raters),
            "detail": {relation: {"raters": d.raters, "mean": d.mean,
                                  "indicators": {k: v.mean for k, v in d.indicators.items()}}
                       for relation, d in result.visible_detail.items()}}


async def pending_queue(conn: AsyncConnection, superior_nip: str, limit: int) -> list[Row]:
    a = t.activities
    rows = await conn.execute(
        select(a.c.activity_id, a.c.nip, a.c.work_date, a.c.minutes, a.c.description,
               a.c.source, a.c.reported_at)
        .where(a.c.superior_nip == superior_nip, a.c.status == "pending")
        .order_by(a.c.reported_at).limit(limit))
    now = datetime.now(UTC)
    return [{**r._mapping, "age_hours": round((now - _aware(r.reported_at)).total_seconds()
                                              / 3600, 1)} for r in rows]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def unit_month(conn: AsyncConnection, unit: str, period: str) -> Row:
    m, e = t.employee_months, t.employees
    totals = (await conn.execute(
        select(func.count(), func.coalesce(func.sum(m.c.pending_minutes), 0),
               func.coalesce(func.sum(m.c.approved_minutes), 0),
               func.coalesce(func.sum(m.c.rejected_minutes), 0),
               func.coalesce(func.sum(m.c.revision_minutes), 0),
               func.coalesce(func.sum(m.c.not_validated_minutes), 0))
        .select_from(m.join(e, e.c.nip == m.c.nip))
        .where(e.c.unit == unit, m.c.period == period))).one()
    el = t.eligibility
    categories = await conn.execute(
        select(el.c.category, func.count()).where(el.c.unit == unit, el.c.period == period)
        .group_by(el.c.category))
    return {"unit": unit, "period": period, "employees_reporting": totals[0],
            "minutes": {"pending": totals[1], "approved": totals[2], "rejected": totals[3],
                        "revision_requested": totals[4], "not_validated": totals[5]},
            "categories": {row[0]: row[1] for row in categories}}


async def eligibility_page(conn: AsyncConnection, period: str, unit: str | None,
                           offset: int, limit: int) -> Row:
    el = t.eligibility
    where = [el.c.period == period] + ([el.c.unit == unit] if unit else [])
    total = await conn.scalar(select(func.count()).select_from(el).where(*where))
    rows = await conn.execute(select(el).where(*where).order_by(el.c.nip)
                              .offset(offset).limit(limit))
    return {"period": period, "unit": unit, "total": total, "offset": offset,
            "items": [dict(r._mapping) for r in rows]}


async def superior_on(conn: AsyncConnection, nip: str, day: date) -> str | None:
    """``nip``'s direct superior on ``day`` (None: nobody, or no line yet)."""
    lines = t.reporting_lines
    return await conn.scalar(select(lines.c.superior_nip)
                             .where(lines.c.nip == nip, lines.c.effective_from <= day)
                             .order_by(lines.c.effective_from.desc()).limit(1))
