"""Acting officials (Plt / Plh): who acts in which head's place, from which day to which
(``ActingSuperiorAppointed``). Intake decides with them what an acting official may do; the
read side needs them to show the acting official the queues of the head they stand in for
(the objections waiting for that head's decision, ``objections.awaiting``)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import BigInteger, Column, Date, Index, MetaData, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import ActingSuperiorAppointed, Event

metadata = MetaData()

acting_appointments = Table(
    "acting_appointments", metadata,
    # a head's appointments never overlap (intake refuses it): one begins on a given day
    Column("head_nip", Text, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=False),
    Column("acting_nip", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("acting_appointments_acting", "acting_nip"),
)


@dataclass
class Appointments:
    rows: list[Row] = field(default_factory=list)


class ActingAppointments(Projection[Appointments]):
    tables = (acting_appointments,)
    events = frozenset({ActingSuperiorAppointed})

    def start(self, batch: Batch) -> Appointments:
        return Appointments()

    def apply(self, working: Appointments, envelope: EventHeader, event: Event,
              partition: int) -> None:
        assert isinstance(event, ActingSuperiorAppointed)
        working.rows.append({"head_nip": event.head_nip, "valid_from": event.valid_from,
                             "valid_to": event.valid_to, "acting_nip": event.acting_nip,
                             "kind": event.kind, "position": envelope.position})

    def rows(self, working: Appointments) -> Iterable[tuple[Table, list[Row]]]:
        return [(acting_appointments, working.rows)]


# -- queries ------------------------------------------------------------------------------------

async def heads_acted_for(conn: AsyncConnection, acting_nip: str, day: date) -> list[str]:
    """The heads in whose place ``acting_nip`` acts on ``day`` (both ends included)."""
    a = acting_appointments
    rows = await conn.execute(select(a.c.head_nip).where(
        a.c.acting_nip == acting_nip, a.c.valid_from <= day, a.c.valid_to >= day)
        .order_by(a.c.head_nip))
    return list(rows.scalars())
