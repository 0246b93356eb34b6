"""What a projection is: one module that owns a part of the read model.

A projection declares its tables and the event types it follows, and gives four steps that
the service layer runs for every batch, for every projection in registry order:

1. ``start``: a fresh working set for the batch (it may keep the working sets of
   projections earlier in the registry, to read them: activities ask reporting lines who
   was whose superior on a day);
2. ``load``: read the stored rows the batch's events will change, set-based (one query per
   table and batch, never one per event);
3. ``apply``: pure: how one event changes the working set (no I/O, no clock), called for
   each event of a type in ``events``, in order;
4. ``write``: upsert the changed rows (``rows``), COPY-based on PostgreSQL.

Its queries (what the API reads) live in the same module.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import upsert
from services.appraisal.domain.records import Applied
from shared.envelope import EventHeader
from shared.events import Event

Row = dict[str, Any]
W = TypeVar("W")


class Batch:
    """One batch's events, and the working set of every projection for it."""

    def __init__(self, events: Sequence[Applied]) -> None:
        self.events = events
        self.working_sets: dict[type[Any], Any] = {}

    def working(self, projection: "type[Projection[W]]") -> W:
        """The working set of ``projection`` (earlier in the registry than the caller)."""
        return cast(W, self.working_sets[projection])


class Projection(ABC, Generic[W]):
    """A part of the read model; ``W`` is its working set for one batch."""

    tables: ClassVar[tuple[Table, ...]] = ()
    """The tables it owns: checksummed by verify, compared with the migrations."""
    events: ClassVar[frozenset[type[Event]]] = frozenset()
    """The event types ``apply`` is called for."""

    @abstractmethod
    def start(self, batch: Batch) -> W:
        """A fresh working set for ``batch``."""

    async def load(self, conn: AsyncConnection, working: W, batch: Batch) -> None:
        """Read the stored rows the batch will change (default: none needed)."""
        return None

    def apply(self, working: W, envelope: EventHeader, event: Event, partition: int) -> None:
        """How one event changes the working set. Pure."""
        return None

    def rows(self, working: W) -> Iterable[tuple[Table, list[Row]]]:
        """The changed rows to write, table by table."""
        return ()

    async def write(self, conn: AsyncConnection, working: W, batch: Batch) -> None:
        """Write the changed rows (after every projection before it in the registry)."""
        for table, rows in self.rows(working):
            await upsert(conn, table, rows)
