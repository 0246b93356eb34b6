"""Read use cases that combine several projections (one projection's own reads are its
module's queries): an employee's month, a unit's month, the policy in force, an employee
with their reporting line on a date, the running month's pace, the dashboard's periods."""

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters import positions
from services.appraisal.domain.curve import check_unit, outcome
from services.appraisal.domain.eligibility import Inputs
from services.appraisal.domain.pace import pace_of
from services.appraisal.domain.scoring import Rating, behaviour
from services.appraisal.domain.units import unit_on
from services.appraisal.projections import (
    behaviour_reviews,
    closed_periods,
    distribution_checks,
    eligibility,
    employee_months,
    employees,
    policies,
    reporting_lines,
    restrictions,
    skp,
    transfers,
)
from shared.auth import Principal
from shared.authority import allows
from shared.periods import period_of
from shared.personal import RESTRICTED
from shared.policy import parsed_policy

Row = dict[str, Any]


async def _governing(conn: AsyncConnection) -> Inputs:
    """Only what choosing a period's policy needs: the policies and the closes."""
    return Inputs({}, {}, {}, await policies.all_policies(conn),
                  await closed_periods.closes(conn))


async def employee_month(conn: AsyncConnection, nip: str, period: str) -> Row:
    return {"nip": nip, "period": period,
            "minutes": await employee_months.month_of(conn, nip, period),
            "behaviour": await behaviour_aggregate(conn, nip, period),
            "eligibility": await eligibility.row_of(conn, nip, period)}


async def behaviour_aggregate(conn: AsyncConnection, nip: str, period: str) -> Row | None:
    """360 aggregate per indicator and relation, detail hidden below the minimum raters."""
    person = await employees.employee(conn, nip)
    reviews = await behaviour_reviews.reviews_for(conn, nip, period)
    if person is None:
        return None
    policy = (await _governing(conn)).policy_for(period, person["unit"])
    if policy is None:
        return None
    ratings = [Rating(r["rater_nip"], r["relation"], r["scores"]) for r in reviews]
    result = behaviour(ratings, policy, person["structural"])
    if result is None:
        return None
    return {"score": result.score, "category": result.category, "raters": dict(result.raters),
            "detail": {relation: {"raters": d.raters, "mean": d.mean,
                                  "indicators": {k: v.mean for k, v in d.indicators.items()}}
                       for relation, d in result.visible_detail.items()}}


async def unit_month(conn: AsyncConnection, unit: str, period: str) -> Row:
    return {"unit": unit, "period": period,
            **await transfers.unit_minutes(conn, unit, period),
            "categories": await eligibility.categories(conn, unit, period)}


async def policy_in_force(conn: AsyncConnection, period: str, today: date) -> Row | None:
    """The policy governing ``period`` (the one eligibility is computed with), and whether
    the period is closed: by a recorded close, or because its close day has come."""
    governing = await _governing(conn)
    row = governing.policy_row_for(period)
    if row is None:
        return None
    close_date = parsed_policy(row["version"], row["document"]).close_date(period)
    recorded = period in governing.closed
    return {"period": period, "version": row["version"], "effective_from": row["effective_from"],
            "closed": recorded or today >= close_date, "close_recorded": recorded,
            "close_date": close_date, "document": row["document"]}


async def distribution(conn: AsyncConnection, period: str) -> Row:
    """Each unit with a recorded organisational predicate: its staff predicates (its 2022
    eligibility rows) against the curve of that predicate in the unit's policy, the bands
    breached and by how many people, and the outcome the policy gives (warn or block); the
    global position the projections stood at when read (``position``: the figures reflect
    at least the events up to it); and the checks intake recorded before the close
    (``recorded_checks``, oldest first; ``recorded_at_close``: the one the close went ahead
    with, null while the period is not closed with a check)."""
    position = await positions.applied_up_to(conn)
    governing = await _governing(conn)
    units = []
    for unit, organisational in sorted((await skp.unit_predicates(conn, period)).items()):
        policy = governing.policy_for(period, unit)
        if policy is None or policy.regime != "2022":
            units.append({"unit": unit, "organisational_predicate": organisational,
                          "checked": False, "reason": "the unit is not on the 2022 regime"})
            continue
        staff = await eligibility.categories(conn, unit, period)
        breaches = check_unit(unit, organisational, staff, policy.rules_2022)
        units.append({"unit": unit, "organisational_predicate": organisational,
                      "checked": True, "policy_version": policy.version, "staff": staff,
                      "breaches": [asdict(b) for b in breaches],
                      "outcome": outcome(breaches, policy.rules_2022)})
    outcomes = {u.get("outcome") for u in units}
    worst = next((o for o in ("blocked", "warned") if o in outcomes), "passed")
    recorded = await distribution_checks.checks_of(conn, period)
    at_close = [check for check in recorded if check["close_action"] != "refused"]
    return {"period": period, "position": position, "outcome": worst, "units": units,
            "recorded_checks": recorded, "recorded_at_close": at_close[-1] if at_close else None}


async def employee_as_of(conn: AsyncConnection, nip: str, day: date) -> Row | None:
    """An employee's roster entry and the reporting line in force on ``day``."""
    person = await employees.employee(conn, nip)
    if person is None:
        return None
    person.pop("partition", None)
    units = await transfers.assignments_of(conn, [nip])
    person["unit"] = unit_on(units.get(nip, []), person["unit"], day)
    line = await reporting_lines.line_on(conn, nip, day)
    reporting_line = None
    if line is not None:
        superior = (await employees.employee(conn, line["superior_nip"])
                    if line["superior_nip"] else None)
        if superior is not None:
            above = await transfers.assignments_of(conn, [superior["nip"]])
            superior["unit"] = unit_on(above.get(superior["nip"], []), superior["unit"], day)
        reporting_line = {"superior_nip": line["superior_nip"], "since": line["effective_from"],
                          **{f"superior_{k}": superior[k] if superior else None
                             for k in ("name", "position", "unit")}}
    return {**person, "as_of": day, "reporting_line": reporting_line}


def withheld_from(reader: Principal | None, restricted: Iterable[str]) -> set[str]:
    """Whose personal fields ``reader`` may not see among the ``restricted`` (UU PDP art.
    11): all but their own, unless they manage restrictions (admin)."""
    if reader is not None and allows(reader.role, "restrict_processing"):
        return set()
    return {nip for nip in restricted if reader is None or nip != reader.subject}


async def honouring_restrictions(conn: AsyncConnection, found: Row, reader: Principal) -> Row:
    """``employee_as_of``'s answer as ``reader`` may see it: the name and position of a
    person whose processing is restricted are withheld, unless the reader is that person or
    manages restrictions (admin); ``restricted`` says so. The same for the superior. (The
    read edge withholds their sealed fields in every answer; the position is not sealed.)"""
    line = found["reporting_line"]
    nips = [found["nip"], *([line["superior_nip"]] if line and line["superior_nip"] else [])]
    restricted = await restrictions.restricted_among(conn, nips)
    hidden = withheld_from(reader, restricted)
    shown = {**found, "restricted": found["nip"] in restricted}
    if found["nip"] in hidden:
        shown.update(name=RESTRICTED, position=RESTRICTED)
    if line and line["superior_nip"] in hidden:
        shown["reporting_line"] = {**line, "superior_name": RESTRICTED,
                                   "superior_position": RESTRICTED}
    return shown


async def with_pace(conn: AsyncConnection, rows: list[Row], today: date) -> list[Row]:
    """Eligibility rows with a ``pace`` field: the running month's pace for rows of today's
    (open) period, None for any other. Computed now, from the stored figures."""
    current = {(r["nip"], r["period"]) for r in rows if r["period"] == period_of(today)}
    inputs = await eligibility.load_inputs(conn, current) if current else None
    paced = []
    for row in rows:
        pace = pace_of(inputs, row["nip"], row["period"], today) if inputs else None
        paced.append({**row, "pace": asdict(pace) if pace else None})
    return paced


async def dashboard_periods(conn: AsyncConnection) -> list[Row]:
    """Periods with any reported work, newest first, with their state."""
    closed = await closed_periods.closes(conn)
    return [{"period": p, "employees": n, "activities": a, "closed": p in closed}
            for p, n, a in await employee_months.reported_periods(conn)]
