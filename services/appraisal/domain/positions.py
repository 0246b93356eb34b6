"""Where the projections stand on each partition: pyeventsourcing's ``Tracking`` idea.

A :class:`Position` is a value saved in the same transaction as the projection changes it
accounts for, so the projections and the record of what they contain can never disagree:
after a crash the consumer resumes from the stored position and nothing is applied twice
or passed over.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Position:
    """A consumer's standing on one partition of a topic."""

    topic: str
    partition: int
    next_offset: int = 0
    """The first offset not consumed yet (records below it are skipped)."""
    last_position: int = 0
    """The highest global position seen on the partition (applied, parked or dead-lettered):
    an event at or below it is a re-publication by the relay and is skipped."""
    last_recorded_at: datetime | None = None
    """When the event store recorded the last applied event (consumer lag in seconds)."""


class Cursor:
    """A position moving through one batch (mutable, one per partition, not per record)."""

    __slots__ = ("last_position", "last_recorded_at", "next_offset", "partition", "topic")

    def __init__(self, start: Position) -> None:
        self.topic, self.partition = start.topic, start.partition
        self.next_offset = start.next_offset
        self.last_position = start.last_position
        self.last_recorded_at = start.last_recorded_at

    def position(self) -> Position:
        """Where the batch leaves the partition."""
        return Position(self.topic, self.partition, self.next_offset, self.last_position,
                        self.last_recorded_at)
