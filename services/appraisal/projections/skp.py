"""SKPs (PermenPANRB 6/2022): each employee-period's planned results with indicators and
targets, the realisation reported against them with its validation and feedback, and the
rater's latest confirmation or override of the derived ratings. Eligibility under a 2022
policy is computed from these rows (``domain.performance``); the cascade is a query."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    Float,
    Index,
    MetaData,
    Table,
    Text,
    literal,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.domain.performance import RaterDecision
from services.appraisal.projections.base import Batch, Projection, Row
from services.appraisal.projections.employees import employees
from services.appraisal.projections.transfers import unit_on_day
from shared.envelope import EventHeader
from shared.events import (
    Event,
    OrganisationalPredicateRecorded,
    PerformanceRated,
    RealisationReported,
    RealisationValidated,
    SkpSet,
)
from shared.periods import last_day

metadata = MetaData()

skps = Table(
    "skps", metadata,
    Column("nip", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("superior_nip", Text, nullable=False),
    Column("acting_for", Text),
    Column("results", JSON, nullable=False),
    Column("position", BigInteger, nullable=False),
)

skp_realisations = Table(
    "skp_realisations", metadata,
    Column("realisation_id", Text, primary_key=True),
    Column("nip", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("rhk_id", Text, nullable=False),
    Column("indicator_id", Text, nullable=False),
    Column("value", Float, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("note", Text),
    Column("status", Text, nullable=False),
    Column("decided_by", Text),
    Column("acting_for", Text),
    Column("feedback", Text),
    Column("position", BigInteger, nullable=False),
    Index("skp_realisations_owner", "nip", "period"),
)

performance_ratings = Table(
    "performance_ratings", metadata,
    Column("nip", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("rater_nip", Text, nullable=False),
    Column("acting_for", Text),
    Column("results_override", Text),
    Column("behaviour_override", Text),
    Column("reason", Text),
    Column("position", BigInteger, nullable=False),
)

organisational_predicates = Table(
    "organisational_predicates", metadata,
    Column("unit", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("predicate", Text, nullable=False),
    Column("position", BigInteger, nullable=False),
)
"""Each unit's own predicate for a period (recorded by an admin): it picks the unit's
distribution curve."""

Key = tuple[str, str]
"""(nip, period)."""


@dataclass
class Plans:
    skps: dict[Key, Row] = field(default_factory=dict)
    realisations: dict[str, Row] = field(default_factory=dict)
    ratings: dict[Key, Row] = field(default_factory=dict)
    units: dict[tuple[str, str], Row] = field(default_factory=dict)
    changed: set[Key] = field(default_factory=set)
    """Employee-periods whose plan, realisation or rating changed (eligibility follows)."""


class Skps(Projection[Plans]):
    tables = (skps, skp_realisations, performance_ratings, organisational_predicates)
    events = frozenset({SkpSet, RealisationReported, RealisationValidated, PerformanceRated,
                        OrganisationalPredicateRecorded})

    def start(self, batch: Batch) -> Plans:
        return Plans()

    async def load(self, conn: AsyncConnection, working: Plans, batch: Batch) -> None:
        decided = {str(e.realisation_id) for _, e, _ in batch.events
                   if isinstance(e, RealisationValidated)}
        for row in await rows_where(conn, skp_realisations,
                                    skp_realisations.c.realisation_id, decided):
            working.realisations[row["realisation_id"]] = row

    def apply(self, working: Plans, envelope: EventHeader, event: Event,
              partition: int) -> None:
        if isinstance(event, OrganisationalPredicateRecorded):  # on every partition: the same
            working.units[(event.unit, event.period)] = {
                **event.model_dump(mode="json"), "position": envelope.position}
            return
        match event:
            case SkpSet():
                working.skps[(event.nip, event.period)] = {
                    "nip": event.nip, "period": event.period,
                    "superior_nip": event.superior_nip, "acting_for": event.acting_for,
                    "results": [r.model_dump(mode="json") for r in event.results],
                    "position": envelope.position}
            case RealisationReported():
                working.realisations[str(event.realisation_id)] = {
                    **event.model_dump(mode="json"), "status": "pending",
                    "decided_by": None, "acting_for": None, "feedback": None,
                    "position": envelope.position}
            case RealisationValidated():
                row = working.realisations[str(event.realisation_id)]
                row.update(status=event.decision, decided_by=event.reviewer_nip,
                           acting_for=event.acting_for, feedback=event.note)
            case PerformanceRated():
                working.ratings[(event.nip, event.period)] = {
                    **event.model_dump(mode="json"), "position": envelope.position}
        assert isinstance(event, SkpSet | RealisationReported | RealisationValidated
                          | PerformanceRated)
        working.changed.add((event.nip, event.period))

    def rows(self, working: Plans) -> Iterable[tuple[Table, list[Row]]]:
        return [(skps, list(working.skps.values())),
                (skp_realisations, list(working.realisations.values())),
                (performance_ratings, list(working.ratings.values())),
                (organisational_predicates, list(working.units.values()))]


# -- queries ------------------------------------------------------------------------------------

def _keyed(table: Table) -> object:
    return tuple_(table.c.nip, table.c.period)


async def plans_of(conn: AsyncConnection, keys: Iterable[Key]) -> (
    tuple[dict[Key, Row], dict[Key, list[Row]], dict[Key, RaterDecision]]
):
    """The SKPs, realisations and rater decisions of the employee-periods ``keys``."""
    keys = list(keys)
    plans = {(r["nip"], r["period"]): r for r in await rows_where(conn, skps, _keyed(skps), keys)}
    realised: dict[Key, list[Row]] = defaultdict(list)
    for row in await rows_where(conn, skp_realisations, _keyed(skp_realisations), keys):
        realised[(row["nip"], row["period"])].append(row)
    decisions = {(r["nip"], r["period"]): RaterDecision(
        r["rater_nip"], r["results_override"], r["behaviour_override"], r["reason"],
        r["acting_for"]) for r in await rows_where(conn, performance_ratings,
                                                   _keyed(performance_ratings), keys)}
    return plans, dict(realised), decisions


async def skp_of(conn: AsyncConnection, nip: str, period: str) -> Row | None:
    """An employee's SKP for a period: each RHK with its indicators, target, the validated
    realisation (the latest approved report) and every report with its feedback; and the
    rater's decision."""
    plans, realised, _ = await plans_of(conn, [(nip, period)])
    plan = plans.get((nip, period))
    if plan is None:
        return None
    reports = sorted(realised.get((nip, period), []), key=lambda r: r["position"])
    rating = (await conn.execute(select(performance_ratings).where(
        performance_ratings.c.nip == nip, performance_ratings.c.period == period))).first()
    return {"nip": nip, "period": period, "superior_nip": plan["superior_nip"],
            "acting_for": plan["acting_for"],
            "results": [_with_realisation(rhk, reports) for rhk in plan["results"]],
            "rating": _rating(dict(rating._mapping)) if rating else None}


def _with_realisation(rhk: Row, reports: list[Row]) -> Row:
    indicators = []
    for indicator in rhk["indicators"]:
        mine = [r for r in reports if (r["rhk_id"], r["indicator_id"])
                == (rhk["rhk_id"], indicator["indicator_id"])]
        approved = [r["value"] for r in mine if r["status"] == "approved"]
        indicators.append({**indicator, "realisation": approved[-1] if approved else None,
                           "reports": [_report(r) for r in mine]})
    return {**rhk, "indicators": indicators}


def _report(row: Row) -> Row:
    keep = ("realisation_id", "value", "evidence", "note", "status", "decided_by",
            "acting_for", "feedback")
    return {name: row[name] for name in keep}


def _rating(row: Row) -> Row:
    return {name: row[name] for name in ("rater_nip", "acting_for", "results_override",
                                         "behaviour_override", "reason")}


async def cascade(conn: AsyncConnection, unit: str, period: str) -> list[Row]:
    """A unit's cascade for a period: each RHK of its employees' SKPs with the RHKs of the
    subordinates' SKPs that support it. The employees are the unit's on the month's last day
    (the day its SKPs are rated on): after a mid-month transfer, the new unit's."""
    e = employees
    on_last_day = unit_on_day(skps.c.nip, literal(last_day(period), Date), e.c.unit)
    rows = await conn.execute(select(skps).join(e, e.c.nip == skps.c.nip)
                              .where(on_last_day == unit, skps.c.period == period)
                              .order_by(skps.c.nip))
    plans = [dict(row._mapping) for row in rows]
    supported: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for plan in plans:
        for rhk in plan["results"]:
            if rhk["supports_rhk_id"] is not None:
                # the RHK supported is in the direct superior's SKP, the one an acting
                # superior stood in for
                head = plan["acting_for"] or plan["superior_nip"]
                supported[(head, rhk["supports_rhk_id"])].append(
                    {"nip": plan["nip"], "rhk_id": rhk["rhk_id"], "kind": rhk["kind"],
                     "description": rhk["description"]})
    return [{"nip": plan["nip"], "rhk_id": rhk["rhk_id"], "kind": rhk["kind"],
             "description": rhk["description"], "supports_rhk_id": rhk["supports_rhk_id"],
             "supported_by": supported.get((plan["nip"], rhk["rhk_id"]), [])}
            for plan in plans for rhk in plan["results"]]


async def unit_predicates(conn: AsyncConnection, period: str) -> dict[str, str]:
    """Unit -> its organisational predicate for ``period``."""
    o = organisational_predicates
    rows = await conn.execute(select(o.c.unit, o.c.predicate).where(o.c.period == period))
    return {row.unit: row.predicate for row in rows}
