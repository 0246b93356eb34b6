"""Published allowance policies, by version. Which one governs a period is the domain's
rule (``domain.eligibility.Inputs.policy_for``)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import JSON, BigInteger, Column, MetaData, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import Event, PolicyPublished

metadata = MetaData()

policies = Table(
    "policies", metadata,
    Column("version", Text, primary_key=True),
    Column("effective_from", Text, nullable=False),
    Column("document", JSON, nullable=False),
    Column("position", BigInteger, nullable=False),
)


@dataclass
class Published:
    rows: dict[str, Row] = field(default_factory=dict)


class Policies(Projection[Published]):
    tables = (policies,)
    events = frozenset({PolicyPublished})

    def start(self, batch: Batch) -> Published:
        return Published()

    def apply(self, working: Published, envelope: EventHeader, event: Event,
              partition: int) -> None:
        assert isinstance(event, PolicyPublished)
        working.rows[event.version] = {"version": event.version, "document": event.document,
                                       "effective_from": event.effective_from,
                                       "position": envelope.position}

    def rows(self, working: Published) -> Iterable[tuple[Table, list[Row]]]:
        return [(policies, list(working.rows.values()))]


# -- queries ------------------------------------------------------------------------------------

async def all_policies(conn: AsyncConnection) -> list[Row]:
    return [dict(row._mapping) for row in await conn.execute(select(policies))]
