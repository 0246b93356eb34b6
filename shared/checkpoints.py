"""Signed checkpoints of the event chain: the anchor outside the database.

A checkpoint says "the chain of log L had, at position P, the hash H", at a time, signed
with a key that lives outside PostgreSQL (``shared.signing``). It plays the part of
Certificate Transparency's signed tree head: whoever holds the public key can check that
every event up to P is the one that was signed, so an administrator who edits, removes or
appends events below P, or drops the tail, is caught; one who appends events after P is
caught by the next checkpoint or the Kafka copy (``shared.anchoring``).

The log id is the chain hash of the first event (a genesis hash): it tells the checkpoints
of one event store from those of another (test stores, other deployments) on one topic.

The signed bytes are defined once, here (:func:`canonical_bytes`), as short UTF-8 text::

    erk-checkpoint/v1
    log: <log id, hex>
    position: <global position>
    hash: <chain hash at that position, hex>
    signed-at: <UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ>
    key-id: <shared.signing.key_id of the signing key>

Every line ends with a newline; nothing else is signed. Test vectors are in
``tests/unit/test_checkpoints.py``.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.signing import Signer, key_id

FORMAT = "erk-checkpoint/v1"
HASH_BYTES = 32
SIGNATURE_BYTES = 64


@dataclass(frozen=True)
class Checkpoint:
    """What is signed: the chain head of one log at one moment, and who signs it."""

    log_id: bytes
    position: int
    hash: bytes
    signed_at: datetime
    key_id: str

    def __post_init__(self) -> None:
        if len(self.log_id) != HASH_BYTES or len(self.hash) != HASH_BYTES:
            raise ValueError("log_id and hash are 32-byte sha256 digests")
        if self.position < 1:
            raise ValueError("a checkpoint names a position of 1 or more")
        if self.signed_at.tzinfo is None:
            raise ValueError("signed_at must be timezone-aware")


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    signature: bytes

    @property
    def position(self) -> int:
        return self.checkpoint.position


def canonical_bytes(checkpoint: Checkpoint) -> bytes:
    """The exact bytes that are signed (see the module docstring)."""
    return (f"{FORMAT}\n"
            f"log: {checkpoint.log_id.hex()}\n"
            f"position: {checkpoint.position}\n"
            f"hash: {checkpoint.hash.hex()}\n"
            f"signed-at: {_utc_text(checkpoint.signed_at)}\n"
            f"key-id: {checkpoint.key_id}\n").encode()


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_checkpoint(log_id: bytes, position: int, head_hash: bytes, now: datetime,
                   signer: Signer) -> Checkpoint:
    """A checkpoint of a head, at ``now`` (to the microsecond, as PostgreSQL keeps it)."""
    return Checkpoint(log_id, position, head_hash, now.astimezone(UTC),
                      key_id(signer.public_key))


def sign(checkpoint: Checkpoint, signer: Signer) -> SignedCheckpoint:
    if checkpoint.key_id != key_id(signer.public_key):
        raise ValueError("the checkpoint names another key than the signer's")
    return SignedCheckpoint(checkpoint, signer.sign(canonical_bytes(checkpoint)))


def verify(signed: SignedCheckpoint, public_key: Ed25519PublicKey) -> bool:
    """True when ``signed`` names ``public_key`` and its signature verifies with it."""
    if signed.checkpoint.key_id != key_id(public_key):
        return False
    try:
        public_key.verify(signed.signature, canonical_bytes(signed.checkpoint))
    except InvalidSignature:
        return False
    return True


# -- the wire form (the checkpoints topic) ---------------------------------------------------

def encode(signed: SignedCheckpoint) -> bytes:
    """JSON of a signed checkpoint, as published on the checkpoints topic."""
    cp = signed.checkpoint
    return orjson.dumps({"format": FORMAT, "log_id": cp.log_id.hex(), "position": cp.position,
                         "hash": cp.hash.hex(), "signed_at": _utc_text(cp.signed_at),
                         "key_id": cp.key_id, "signature": signed.signature.hex()})


def decode(data: bytes) -> SignedCheckpoint:
    """A signed checkpoint from its wire form; ValueError if it is not one."""
    try:
        document: dict[str, Any] = orjson.loads(data)
        if document.get("format") != FORMAT:
            raise ValueError(f"not an {FORMAT} record")
        checkpoint = Checkpoint(
            bytes.fromhex(document["log_id"]), _strict_int(document["position"]),
            bytes.fromhex(document["hash"]), datetime.fromisoformat(document["signed_at"]),
            str(document["key_id"]))
        return SignedCheckpoint(checkpoint, bytes.fromhex(document["signature"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a signed checkpoint: {type(exc).__name__}: {exc}") from exc


def _strict_int(value: object) -> int:
    if type(value) is not int:
        raise TypeError("position must be an integer")
    return value
