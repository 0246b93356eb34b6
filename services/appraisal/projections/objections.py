"""Objections (keberatan): one per employee and month, under objection until decided, then
upheld (with the decided figures, or under the 2022 regime the decided ratings) or rejected.
Eligibility reads them: a row under objection is not payable, an upheld one is recomputed
from what was decided (``domain.objection_result``). Ages in the deciders' queue are
computed when asked."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.domain.objection_result import UNDER_OBJECTION
from services.appraisal.projections import acting
from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import Event, ObjectionDecided, ObjectionFiled

metadata = MetaData()

objections = Table(
    "objections", metadata,
    Column("nip", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("rater_nip", Text, nullable=False),
    Column("decider_nip", Text, nullable=False),
    Column("filed_on", Date, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("decided_by", Text),
    Column("acting_for", Text),
    Column("decided_on", Date),
    Column("decision_reason", Text),
    Column("approved_minutes", Integer),
    Column("behaviour_score", Float),
    # migration appraisal_0010: the ratings an upheld objection decided (2022 regime)
    Column("results_rating", Text),
    Column("behaviour_rating", Text),
    Index("objections_decider_status", "decider_nip", "status"),
)

Key = tuple[str, str]
"""(NIP, period)."""


@dataclass
class Filed:
    rows: dict[Key, Row] = field(default_factory=dict)
    changed: set[Key] = field(default_factory=set)
    """Employee-months whose objection the batch filed or decided (eligibility follows)."""


class Objections(Projection[Filed]):
    tables = (objections,)
    events = frozenset({ObjectionFiled, ObjectionDecided})

    def start(self, batch: Batch) -> Filed:
        return Filed()

    async def load(self, conn: AsyncConnection, working: Filed, batch: Batch) -> None:
        decided = {(e.nip, e.period) for _, e, _ in batch.events
                   if isinstance(e, ObjectionDecided)}
        columns = tuple_(objections.c.nip, objections.c.period)
        for row in await rows_where(conn, objections, columns, decided):
            working.rows[(row["nip"], row["period"])] = row

    def apply(self, working: Filed, envelope: EventHeader, event: Event,
              partition: int) -> None:
        if isinstance(event, ObjectionFiled):
            key = (event.nip, event.period)
            working.rows[key] = {**filed_row(event), "position": envelope.position}
        else:
            assert isinstance(event, ObjectionDecided)
            key = (event.nip, event.period)
            working.rows[key] = {**working.rows[key], **decided_row(event)}
        working.changed.add(key)

    def rows(self, working: Filed) -> Iterable[tuple[Table, list[Row]]]:
        return [(objections, list(working.rows.values()))]


def filed_row(event: ObjectionFiled) -> Row:
    return {"nip": event.nip, "period": event.period, "status": UNDER_OBJECTION,
            "reasons": event.reasons, "rater_nip": event.rater_nip,
            "decider_nip": event.decider_nip, "filed_on": event.filed_on,
            "deadline": event.deadline, "decided_by": None, "acting_for": None,
            "decided_on": None, "decision_reason": None, "approved_minutes": None,
            "behaviour_score": None, "results_rating": None, "behaviour_rating": None}


def decided_row(event: ObjectionDecided) -> Row:
    return {"status": event.outcome, "decided_by": event.decided_by,
            "acting_for": event.acting_for, "decided_on": event.decided_on,
            "decision_reason": event.reason, "approved_minutes": event.approved_minutes,
            "behaviour_score": event.behaviour_score, "results_rating": event.results_rating,
            "behaviour_rating": event.behaviour_rating}


# -- queries ------------------------------------------------------------------------------------

async def of_keys(conn: AsyncConnection, keys: Iterable[Key]) -> dict[Key, Row]:
    """The objections of the employee-months ``keys`` (those that have one)."""
    columns = tuple_(objections.c.nip, objections.c.period)
    return {(row["nip"], row["period"]): row
            for row in await rows_where(conn, objections, columns, keys)}


async def objection_of(conn: AsyncConnection, nip: str, period: str) -> Row | None:
    return (await of_keys(conn, [(nip, period)])).get((nip, period))


async def under_objection(conn: AsyncConnection, keys: Iterable[Key]) -> set[Key]:
    """Of ``keys``, the employee-months under objection (filed, not decided): their
    allowance is not payable until the decision (PP 30/2019 art. 59)."""
    return {key for key, row in (await of_keys(conn, keys)).items()
            if row["status"] == UNDER_OBJECTION}


async def awaiting(conn: AsyncConnection, decider_nip: str, today: date) -> list[Row]:
    """The objections waiting for ``decider_nip``'s decision, oldest first, with their age
    in days (today minus the day filed), and those waiting for a head in whose place
    ``decider_nip`` acts today (Plt / Plh), which name that head in ``acting_for`` (None on
    the decider's own)."""
    o = objections
    in_place_of = await acting.heads_acted_for(conn, decider_nip, today)
    rows = await conn.execute(
        select(o.c.nip, o.c.period, o.c.reasons, o.c.rater_nip, o.c.filed_on, o.c.deadline,
               o.c.decider_nip)
        .where(o.c.decider_nip.in_([decider_nip, *in_place_of]),
               o.c.status == UNDER_OBJECTION)
        .order_by(o.c.filed_on, o.c.period, o.c.nip))
    items = []
    for row in rows:
        item = dict(row._mapping)
        decider = item.pop("decider_nip")
        items.append({**item, "age_days": (today - row.filed_on).days,
                      "acting_for": None if decider == decider_nip else decider})
    return items
