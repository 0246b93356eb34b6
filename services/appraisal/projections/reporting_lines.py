"""Reporting lines: who is whose direct superior from which day on."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Column, Date, MetaData, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import (
    ActivityReported,
    ActivityRevised,
    EmployeeTransferred,
    Event,
    ReportingLineChanged,
)

metadata = MetaData()

reporting_lines = Table(
    "reporting_lines", metadata,
    Column("nip", Text, primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("superior_nip", Text),
)

@dataclass
class Lines:
    by_nip: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    """Every line of the employees the batch is about, as they stand now."""
    new: list[Row] = field(default_factory=list)

    def superior_on(self, nip: str, day: date) -> str | None:
        current = [line for line in self.by_nip.get(nip, []) if line["effective_from"] <= day]
        return max(current, key=lambda line: line["effective_from"])["superior_nip"] \
            if current else None


class ReportingLines(Projection[Lines]):
    tables = (reporting_lines,)
    events = frozenset({ReportingLineChanged, EmployeeTransferred})
    """A transfer sets the reporting line from its day D, as a line change does."""

    def start(self, batch: Batch) -> Lines:
        return Lines()

    async def load(self, conn: AsyncConnection, working: Lines, batch: Batch) -> None:
        # and of those whose superior on a work date the activities projection will ask for
        nips = {e.nip for _, e, _ in batch.events
                if isinstance(e, ReportingLineChanged | EmployeeTransferred | ActivityReported
                              | ActivityRevised)}
        for row in await rows_where(conn, reporting_lines, reporting_lines.c.nip, nips):
            working.by_nip[row["nip"]].append(row)

    def apply(self, working: Lines, envelope: EventHeader, event: Event,
              partition: int) -> None:
        assert isinstance(event, ReportingLineChanged | EmployeeTransferred)
        line = {"nip": event.nip, "superior_nip": event.superior_nip,
                "effective_from": event.effective_from}
        working.by_nip[event.nip] = [x for x in working.by_nip[event.nip]
                                     if x["effective_from"] != event.effective_from] + [line]
        working.new.append(line)

    def rows(self, working: Lines) -> Iterable[tuple[Table, list[Row]]]:
        last = {(line["nip"], line["effective_from"]): line for line in working.new}
        return [(reporting_lines, list(last.values()))]


# -- queries ------------------------------------------------------------------------------------

async def line_on(conn: AsyncConnection, nip: str, day: date) -> Row | None:
    """``nip``'s reporting line in force on ``day`` (None: none had begun)."""
    lines = reporting_lines
    row = (await conn.execute(
        select(lines).where(lines.c.nip == nip, lines.c.effective_from <= day)
        .order_by(lines.c.effective_from.desc()).limit(1))).first()
    return dict(row._mapping) if row else None


async def superior_on(conn: AsyncConnection, nip: str, day: date) -> str | None:
    """``nip``'s direct superior on ``day`` (None: nobody, or no line yet)."""
    line = await line_on(conn, nip, day)
    return line["superior_nip"] if line else None
