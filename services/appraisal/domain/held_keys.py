"""Held keys: while a dead letter is open, later records of its Kafka key wait (are parked)
so that each key's events are applied in their order or not at all.

Broadcast events (key ``*``, on every partition) are ordered relative to every key of their
partition, so one may only be applied when nothing earlier on the partition is held back.
Hence a dead-lettered broadcast holds the whole partition, and a broadcast that arrives while
any key of its partition is held is parked and from then on holds the whole partition. The
events applied on a partition are then always the partition's own order with held keys'
events moved later, but never past a broadcast: per key, and relative to every broadcast,
the order equals a replay of the history.
"""

from collections import defaultdict

from shared.topics import BROADCAST_KEY


class HeldKeys:
    """Held keys per partition; ``*`` in a partition's set holds the whole partition."""

    def __init__(self) -> None:
        self.held: dict[int, set[str]] = defaultdict(set)

    def blocks(self, partition: int, key: str) -> bool:
        held = self.held.get(partition)
        if not held:
            return False
        return BROADCAST_KEY in held or key in held or key == BROADCAST_KEY

    def hold(self, partition: int, key: str) -> None:
        self.held[partition].add(key)

    def park(self, partition: int, key: str) -> None:
        """A record of ``key`` waits: a waiting broadcast holds everything after it."""
        if key == BROADCAST_KEY:
            self.hold(partition, BROADCAST_KEY)
