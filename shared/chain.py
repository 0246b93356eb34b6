"""The tamper-evident hash chain over the event store, part of the contract with auditors.

Event n's hash is sha256(hash of event n-1 || canonical bytes of event n); the first
event's predecessor hash is 32 zero bytes. Changing, removing or inserting any stored
event breaks the chain at that point.
"""

import hashlib
from typing import Any

from shared.codec import canonical_bytes, canonical_json
from shared.envelope import EventEnvelope

GENESIS_HASH = bytes(32)


def chain_hash(prev_hash: bytes, envelope: EventEnvelope) -> bytes:
    return hashlib.sha256(prev_hash + canonical_bytes(envelope)).digest()


def chain_hash_of(prev_hash: bytes, document: dict[str, Any]) -> bytes:
    """:func:`chain_hash` of an envelope already dumped with ``model_dump(mode="json")``."""
    return hashlib.sha256(prev_hash + canonical_json(document)).digest()
