"""Which records of the events topic come from the relay: those with its valid MAC
(``shared.record_mac``). Anything else that reached the broker is dead-lettered, holding no
key and moving no position, so a forged record cannot hide the real events after it.

Records published before the relay MACed carry none. ``unsigned_up_to`` names the last
global position published so (the store's head when the key was introduced): those are
accepted without a MAC, because ``audit verify`` compares the whole Kafka copy with the
store, whose chain the signed checkpoints anchor (docs/audit.md). A record without a MAC
claiming a position above it is refused."""

from dataclasses import dataclass

from services.appraisal.domain.records import Record
from shared.record_mac import MAC_HEADER, RelayKey


@dataclass(frozen=True)
class Gate:
    key: RelayKey | None = None
    """None: every record passes (dev without a key)."""
    unsigned_up_to: int = 0

    def refusal(self, record: Record, position: int | None) -> str | None:
        """Why ``record`` (its event at global ``position``, when readable) is not the
        relay's; None when it is, or needs no MAC."""
        if self.key is None or record.envelope is not None:
            return None  # unchecked, or rebuilt from the event store itself
        if (position is not None and position <= self.unsigned_up_to
                and all(name != MAC_HEADER for name, _ in record.headers)):
            return None
        return self.key.refusal(record.topic, record.partition, record.key, record.value,
                                record.headers)


OPEN = Gate()
"""Accepts everything: records rebuilt from the store, and dev without a relay key."""
