"""Opaque subject ids: what the events topic is keyed by instead of the NIP.

The NIP is personal data (it encodes a birth date and a gender: UU PDP), and a Kafka key
is copied into every broker's log segments, every consumer's lag metrics, the dead
letters and the held keys. The key is therefore a keyed hash of the NIP: HMAC-SHA256
with a secret of its own (a file, never in the repository or a database), truncated to
128 bits, hex. The same NIP always gives the same id, so an employee's events still share
one partition and keep their order; without the secret nobody can go from an id back to
a NIP by hashing the (few million, enumerable) possible NIPs. Events that concern
everyone keep the broadcast key ``*``.

The secret is shared by the relay (intake) and by whatever recomputes the relay's
partitioning from the store (``erk-appraisal replay --source store``, ``audit verify``).
Changing it re-keys the topic: docs/privacy-rights.md describes the migration.
"""

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from shared.record_mac import read_secret
from shared.topics import BROADCAST_KEY

SUBJECT_ID_HEX = 32
"""Hex digits of a subject id: 128 bits, no collision among any number of employees."""


class PseudonymKeyError(ValueError):
    """A pseudonym key file that is missing, too short, not hex, or readable by others."""


@dataclass(frozen=True)
class Pseudonyms:
    """Turns NIPs into subject ids with one secret."""

    secret: bytes = field(repr=False)  # a traceback or a debug log must not show it

    def subject_id(self, nip: str) -> str:
        """The opaque id of the employee ``nip`` (``*`` stays the broadcast key)."""
        if nip == BROADCAST_KEY:
            return BROADCAST_KEY
        digest = hmac.new(self.secret, b"erk-subject-v1\0" + nip.encode(), hashlib.sha256)
        return digest.hexdigest()[:SUBJECT_ID_HEX]

    def record_key(self, nip: str) -> bytes:
        """The Kafka key of an event whose subject is ``nip``."""
        return self.subject_id(nip).encode()


def load_pseudonyms(path: Path) -> Pseudonyms:
    """The pseudonym secret in ``path``: hex of at least 32 bytes, readable by its owner."""
    return Pseudonyms(read_secret(path, "pseudonym key", PseudonymKeyError))
