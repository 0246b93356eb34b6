"""The registry: the projections in the order a batch runs them, and the migrations that
create their tables. The consumer, replay, verify, build-version and the checksums all
iterate it, so a projection registered here is consumed, rebuilt and verified."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Table

from services.appraisal.domain.records import Applied
from services.appraisal.projections.base import Batch, Projection
from shared.events import Event

AnyProjection = Projection[Any]


class Registry:
    """Projections in order: each after those whose working sets it reads, so it loads,
    applies and writes after them (eligibility, computed from the others' rows, last)."""

    def __init__(self, projections: Sequence[AnyProjection], migrations: Sequence[Path]) -> None:
        kinds = [type(p) for p in projections]
        names = [table.name for p in projections for table in p.tables]
        if len(set(kinds)) != len(kinds) or len(set(names)) != len(names):
            raise ValueError("a projection or a table is registered twice")
        self.projections = tuple(projections)
        self.migrations = tuple(migrations)
        """Alembic version folders that, together, create every registered table."""
        self.routes: dict[type[Event], tuple[int, ...]] = {}
        """Event type -> indexes of the projections that follow it, in registry order."""
        for kind in {kind for p in projections for kind in p.events}:
            self.routes[kind] = tuple(i for i, p in enumerate(projections) if kind in p.events)

    @property
    def tables(self) -> tuple[Table, ...]:
        """Every projection table (a pure function of the event history), in order."""
        return tuple(table for p in self.projections for table in p.tables)

    def including(self, projection: AnyProjection, migrations: Path | None = None) -> (
        "Registry"
    ):
        """This registry and one more projection, last (after everything it may read),
        with the folder of the migration that creates its tables."""
        return Registry([*self.projections, projection],
                        [*self.migrations, *([migrations] if migrations else [])])

    def start(self, events: Sequence[Applied]) -> Batch:
        """A batch of ``events`` with a fresh working set for every projection."""
        batch = Batch(events)
        for projection in self.projections:
            batch.working_sets[type(projection)] = projection.start(batch)
        return batch
