"""Restrictions of processing (UU PDP art. 11): per employee, whether their processing is
restricted now, by which reference, since which global position. The read APIs ask it
before showing a person's personal fields (``service_layer.reads``)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Boolean, Column, MetaData, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import Event, ProcessingRestricted, ProcessingRestrictionLifted

metadata = MetaData()

processing_restrictions = Table(
    "processing_restrictions", metadata,
    Column("nip", Text, primary_key=True),
    Column("restricted", Boolean, nullable=False),
    Column("reference", Text, nullable=False),
    Column("position", BigInteger, nullable=False),
)


@dataclass
class Changes:
    rows: dict[str, Row] = field(default_factory=dict)


class Restrictions(Projection[Changes]):
    tables = (processing_restrictions,)
    events = frozenset({ProcessingRestricted, ProcessingRestrictionLifted})

    def start(self, batch: Batch) -> Changes:
        return Changes()

    def apply(self, working: Changes, envelope: EventHeader, event: Event,
              partition: int) -> None:
        assert isinstance(event, ProcessingRestricted | ProcessingRestrictionLifted)
        working.rows[event.nip] = {"nip": event.nip, "reference": event.reference,
                                   "restricted": isinstance(event, ProcessingRestricted),
                                   "position": envelope.position}

    def rows(self, working: Changes) -> Iterable[tuple[Table, list[Row]]]:
        return [(processing_restrictions, list(working.rows.values()))]


# -- queries ------------------------------------------------------------------------------------

async def restricted_among(conn: AsyncConnection, nips: Iterable[str]) -> set[str]:
    """Which of ``nips`` are restricted now."""
    return {row["nip"] for row in await rows_where(conn, processing_restrictions,
                                                   processing_restrictions.c.nip, nips)
            if row["restricted"]}


async def is_restricted(conn: AsyncConnection, nip: str) -> bool:
    r = processing_restrictions.c
    return bool(await conn.scalar(select(r.restricted).where(r.nip == nip)))
