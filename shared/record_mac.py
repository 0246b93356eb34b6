"""The relay's MAC on every record it publishes to the events topic, so that the appraisal
consumer can tell the relay's records from anything else that reached the broker.

HMAC-SHA256 with a secret key in a file both the relay and the consumers read (never in
the repository or a database). A MAC and not an Ed25519 signature: one is computed per
record and partition (a broadcast goes to every partition), and one checked per record
consumed, at tens of thousands a second on two cores; HMAC costs about a microsecond, an
Ed25519 verification some fifty. The checkpoint key stays for what needs a signature that
readers cannot make (``shared.checkpoints``, possibly a KMS a network call away).

The MAC covers the topic, the partition, the record's key and its value (the event's
envelope, so its id and global position): a relay record cannot be passed off on another
topic or partition, nor with another key or content. It travels in two headers: ``erk-mac``
(the 32 bytes) and ``erk-mac-key`` (the key id, so that a record made with another key says
so)."""

import hashlib
import hmac
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

MAC_HEADER = "erk-mac"
KEY_HEADER = "erk-mac-key"
KEY_BYTES = 32
Headers = Sequence[tuple[str, bytes]]


class RelayKeyError(ValueError):
    """A relay key file that is missing, too short, not hex, or readable by others."""


@dataclass(frozen=True)
class RelayKey:
    secret: bytes = field(repr=False)  # a traceback or a debug log must not show it

    @cached_property  # checked on every record consumed
    def key_id(self) -> str:
        """8 bytes of a sha256 of the secret, hex: names the key, reveals nothing of it."""
        return hashlib.sha256(b"erk-relay-key" + self.secret).hexdigest()[:16]

    def mac(self, topic: str, partition: int, key: bytes | None, value: bytes) -> bytes:
        message = b"\0".join([b"erk-relay-mac-v1", topic.encode(), str(partition).encode(),
                              _framed(key), value])
        return hmac.new(self.secret, message, hashlib.sha256).digest()

    def headers(self, topic: str, partition: int, key: bytes | None, value: bytes) -> list[
        tuple[str, bytes]
    ]:
        """The headers of a record the relay publishes."""
        return [(MAC_HEADER, self.mac(topic, partition, key, value)),
                (KEY_HEADER, self.key_id.encode())]

    def refusal(self, topic: str, partition: int, key: bytes | None, value: bytes,
                headers: Headers) -> str | None:
        """Why a record is not the relay's (None: it is)."""
        found = dict(headers)
        given = found.get(MAC_HEADER)
        if given is None:
            return "no relay MAC (header erk-mac)"
        key_id = found.get(KEY_HEADER, b"").decode("ascii", errors="replace")
        if key_id != self.key_id:
            return f"relay MAC made with key {key_id or '(none named)'}, not {self.key_id}"
        if not hmac.compare_digest(given, self.mac(topic, partition, key, value)):
            return "relay MAC does not match the record's topic, partition, key and value"
        return None


def record_headers(key: RelayKey | None, topic: str, partition: int, record_key: bytes | None,
                   value: bytes) -> list[tuple[str, bytes]]:
    """The headers the relay puts on a record: its MAC, or none when no key is configured
    (dev only: intake refuses to start without one in prod)."""
    return [] if key is None else key.headers(topic, partition, record_key, value)


def _framed(key: bytes | None) -> bytes:
    """The record key with its length, so that no key/value split collides with another
    (and no key differs from an empty one)."""
    return b"-" if key is None else str(len(key)).encode() + b":" + key


def load_relay_key(path: Path) -> RelayKey:
    """The key in ``path``: hex of at least 32 bytes, readable by its owner only."""
    return RelayKey(read_secret(path, "relay key", RelayKeyError))


def read_secret(path: Path, what: str, error: type[ValueError]) -> bytes:
    """The secret in ``path`` (``what``: how errors name it): hex of at least 32 bytes,
    readable by its owner only; otherwise ``error``."""
    try:
        mode = os.stat(path).st_mode
        text = path.read_text().strip()
    except OSError as exc:
        raise error(f"{what} {path}: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise error(f"{what} {path} is readable by others; chmod 600 it")
    try:
        secret = bytes.fromhex(text)
    except ValueError as exc:
        raise error(f"{what} {path} is not hex") from exc
    if len(secret) < KEY_BYTES:
        raise error(f"{what} {path} has {len(secret)} bytes, fewer than {KEY_BYTES}")
    return secret
