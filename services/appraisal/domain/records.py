"""What the projections consume: Kafka records, the events decoded from them, the dead
letters that records which cannot be decoded become, and how far a replay reads. Plain
values, no I/O."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from shared.codec import (
    UndecodableEvent,
    decode_current,
    decode_envelope,
    decode_payload,
    encode,
)
from shared.envelope import EventEnvelope, EventHeader
from shared.events import Event
from shared.topics import BROADCAST_KEY

Applied = tuple[EventHeader, Event, int]
"""A decoded, deduplicated event ready for the projections: (envelope, event, partition)."""


@dataclass(frozen=True)
class Record:
    """The part of a Kafka record the projections need."""

    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None = None
    timestamp_ms: int | None = None
    envelope: EventEnvelope | None = None
    """Already decoded and validated (a rebuild from the store): skips decoding again."""
    headers: tuple[tuple[str, bytes], ...] = ()
    """The Kafka headers (the relay's MAC: ``shared.record_mac``)."""
    decoded: "Decoded | None" = field(default=None, compare=False, repr=False)
    """What :func:`decode` makes of it, when decoded ahead (the consumer decodes the next
    batch while the current one commits)."""

    def raw(self) -> bytes:
        """The record's bytes (encoded on demand for a pre-decoded record)."""
        return self.value if self.value or self.envelope is None else encode(self.envelope)


class KafkaMessage(Protocol):
    """What a consumed Kafka record offers (aiokafka's ``ConsumerRecord``)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


def from_kafka(message: KafkaMessage, ahead: bool = False) -> Record:
    """The record of a consumed message; ``ahead``: decoded now (:attr:`Record.decoded`)."""
    value = message.value or b""
    return Record(message.topic, message.partition, message.offset, value, message.key,
                  message.timestamp, headers=tuple(message.headers or ()),
                  decoded=decode_value(value) if ahead else None)


def hold_key(record: Record) -> str:
    """The key a dead letter of this record holds: its Kafka key, or ``*`` (the whole
    partition) when it has none, since nobody can tell whose order it belongs to."""
    if record.key is None:
        return BROADCAST_KEY
    return record.key.decode("utf-8", errors="replace")


UNAUTHENTICATED = "unauthenticated"
"""Code of a record on the events topic without the relay's valid MAC."""
POSITION_REUSED = "position_reused"
"""Code of a record whose global position was seen on its partition with another event."""
NOT_THE_KEYS_OWN = frozenset({UNAUTHENTICATED, POSITION_REUSED})
"""Dead letters that hold no key: they are not one of the key's events, so nothing is
missing from its order, and nothing waits behind them. They can only be skipped."""


@dataclass
class DeadLetter:
    """A record the projections could not apply, and why."""

    record: Record
    code: str
    reason: str
    id: int | None = None
    """Row id once recorded."""
    status: str = "open"
    """open (its key is held, unless ``NOT_THE_KEYS_OWN``), retried or skipped."""


DeadLetterSink = Callable[[list[DeadLetter]], Awaitable[None]]
"""Publishes dead letters (to the dead-letter topic) before their transaction commits, so a
crash can repeat a dead letter but never lose one."""

Decoded = tuple[EventHeader | None, Event | None, UndecodableEvent | None]


def decode(record: Record) -> Decoded:
    """(envelope, event, None), or the envelope if it could be read and the reason it
    cannot be applied."""
    if record.decoded is not None:
        return record.decoded
    if record.envelope is None:
        return decode_value(record.value)
    return _typed(record.envelope)


def decode_value(value: bytes) -> Decoded:
    """:func:`decode` of a record's bytes."""
    current = decode_current(value)
    if current is not None and current[0].position is not None:
        return current[0], current[1], None
    try:
        envelope = decode_envelope(value)
    except UndecodableEvent as exc:
        return None, None, exc
    return _typed(envelope)


def _typed(envelope: EventEnvelope) -> Decoded:
    if envelope.position is None:
        return envelope, None, UndecodableEvent("contract_violation",
                                                "envelope has no global position")
    try:
        return envelope, decode_payload(envelope), None
    except UndecodableEvent as exc:
        return envelope, None, exc


@dataclass(frozen=True)
class AsOf:
    """Where a replay stops: a global position, a recorded_at time, or neither (now)."""

    position: int | None = None
    moment: datetime | None = None

    def __str__(self) -> str:
        if self.position is not None:
            return f"position {self.position}"
        return self.moment.isoformat() if self.moment else "now"

    def excludes(self, value: bytes | None) -> bool:
        """Whether the record ``value`` lies past this bound."""
        if self.position is None and self.moment is None:
            return False
        try:
            envelope = decode_envelope(value or b"")
        except UndecodableEvent:
            return False  # let the projections dead-letter it as the live consumer would
        return bool((self.position is not None and (envelope.position or 0) > self.position)
                    or (self.moment is not None and envelope.recorded_at > self.moment))


NOW = AsOf()
"""No bound: everything there is."""
