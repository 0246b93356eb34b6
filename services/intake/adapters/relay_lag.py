"""How far the relay is behind the store: head, checkpoint and the oldest unpublished event,
read in one statement (so the three agree with each other)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters.relay import CHECKPOINT

_LAG = text("""
    WITH mark AS (
        SELECT coalesce((SELECT position FROM relay_checkpoint WHERE name = :name), 0) AS at)
    SELECT (SELECT coalesce(max(position), 0) FROM events) AS head, mark.at AS checkpoint,
           (SELECT recorded_at FROM events WHERE position > mark.at
            ORDER BY position LIMIT 1) AS oldest_unpublished_at
    FROM mark
""")


@dataclass(frozen=True)
class RelayLag:
    head: int
    checkpoint: int
    oldest_unpublished_at: datetime | None
    """recorded_at of the first event Kafka has not confirmed (None: none waits)."""

    @property
    def events(self) -> int:
        return max(0, self.head - self.checkpoint)

    def seconds(self, now: datetime) -> float:
        """How long the oldest unpublished event has waited (0 when none waits)."""
        if self.oldest_unpublished_at is None:
            return 0.0
        return max(0.0, (now - self.oldest_unpublished_at).total_seconds())


async def read_relay_lag(conn: AsyncConnection) -> RelayLag:
    row = (await conn.execute(_LAG, {"name": CHECKPOINT})).one()
    return RelayLag(int(row.head), int(row.checkpoint), row.oldest_unpublished_at)
