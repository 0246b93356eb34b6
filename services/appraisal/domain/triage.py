"""Which records of a batch are applied, skipped, parked or dead-lettered; and, when an
operator resolves a dead letter, which parked records it releases. Pure: the service layer
loads the positions and held keys beforehand and writes the outcome afterwards.

A record below its partition's stored offset is skipped. A record without the relay's
valid MAC (``authenticity``) is dead-lettered, holding no key and moving no position. An
event at or below the highest global position already seen on its partition is a
re-publication by the relay after a crash, and skipped, only if the same event id was seen
at that position (``Triage.repeats``, settled against the ids the service layer looks up);
otherwise it is dead-lettered too. A record that cannot be decoded becomes a dead letter
and holds its key (``held_keys``); a record whose key is held is parked; everything else
is applied, in order.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from services.appraisal.domain.authenticity import OPEN, Gate
from services.appraisal.domain.held_keys import HeldKeys
from services.appraisal.domain.positions import Cursor, Position
from services.appraisal.domain.records import (
    POSITION_REUSED,
    UNAUTHENTICATED,
    Applied,
    DeadLetter,
    Record,
    decode,
    hold_key,
)

Seen = tuple[int, int, UUID]
"""(partition, global position, event id) of an event a partition delivered."""


@dataclass(frozen=True)
class Parked:
    """A record waiting behind a held key."""

    record: Record
    key: str
    position: int | None
    """Its event's global position, when the envelope could be read."""


@dataclass(frozen=True)
class Repeat:
    """A record at or below its partition's highest position, whose event id at that
    position is to be looked up (it was seen in an earlier batch)."""

    record: Record
    position: int
    event_id: UUID


@dataclass
class Triage:
    applied: list[Applied] = field(default_factory=list)
    parked: list[Parked] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    skipped: int = 0
    positions: list[Position] = field(default_factory=list)
    """Every partition's position after the batch (to save with its changes)."""
    last_recorded_at: dict[int, datetime] = field(default_factory=dict)
    """recorded_at of the last event applied, by partition (for the lag metric)."""
    seen: list[Seen] = field(default_factory=list)
    """Every event read from Kafka that moved its partition's position (to remember its
    id)."""
    repeats: list[Repeat] = field(default_factory=list)
    """Re-publication claims to settle against ids seen in earlier batches."""

    def settle(self, known: Mapping[tuple[int, int], UUID]) -> None:
        """Skip each repeat whose event id was seen at its position on its partition
        (``known``); dead-letter the others."""
        for repeat in self.repeats:
            where = repeat.record.partition, repeat.position
            self.repeated(repeat.record, repeat.position, repeat.event_id, known.get(where))
        self.repeats = []

    def repeated(self, record: Record, position: int, event_id: UUID,
                 seen: UUID | None) -> None:
        """Settle one claim: ``seen`` is the id delivered at ``position`` (None: unknown)."""
        if seen == event_id:
            self.skipped += 1  # re-published by the relay after a crash: already seen
            return
        before = (f"event {seen} was delivered there" if seen is not None else
                  "no event delivered there is remembered")
        self.dead_letters.append(DeadLetter(record, POSITION_REUSED, (
            f"event {event_id} claims position {position}, at or below the highest seen "
            f"on partition {record.partition}, but {before}")))


def triage(records: Sequence[Record], stored: Mapping[int, Position], held: HeldKeys,
           gate: Gate = OPEN) -> Triage:
    """Sort one batch of records of one topic (``stored``: the partitions' positions)."""
    result = Triage()
    cursors = {partition: Cursor(position) for partition, position in stored.items()}
    ids: dict[tuple[int, int], UUID] = {}
    for record in records:
        cursor = cursors.get(record.partition)
        if cursor is None:
            cursor = cursors[record.partition] = Cursor(Position(record.topic,
                                                                 record.partition))
        _sort(record, cursor, held, result, gate, ids)
    result.positions = [cursor.position() for cursor in cursors.values()]
    return result


def _sort(record: Record, cursor: Cursor, held: HeldKeys, result: Triage, gate: Gate,
          ids: dict[tuple[int, int], UUID]) -> None:
    if record.offset < cursor.next_offset:
        result.skipped += 1
        return
    cursor.next_offset = record.offset + 1
    envelope, event, error = decode(record)
    position = envelope.position if envelope is not None else None
    refusal = gate.refusal(record, position)
    if refusal is not None:
        result.dead_letters.append(DeadLetter(record, UNAUTHENTICATED, refusal))
        return
    if position is not None and envelope is not None:
        where = record.partition, position
        if position <= cursor.last_position:
            if where in ids:
                result.repeated(record, position, envelope.event_id, ids[where])
            else:
                result.repeats.append(Repeat(record, position, envelope.event_id))
            return
        cursor.last_position = position
        ids[where] = envelope.event_id
        if record.envelope is None:  # from Kafka: a rebuild from the store repeats nothing
            result.seen.append((record.partition, position, envelope.event_id))
    key = hold_key(record)
    if held.blocks(record.partition, key):
        held.park(record.partition, key)
        result.parked.append(Parked(record, key, position))
    elif error is not None or event is None or envelope is None:
        assert error is not None
        held.hold(record.partition, key)
        result.dead_letters.append(DeadLetter(record, error.code, str(error)))
    else:
        cursor.last_recorded_at = envelope.recorded_at
        result.last_recorded_at[record.partition] = envelope.recorded_at
        result.applied.append((envelope, event, record.partition))


@dataclass
class Release:
    """What resolving one dead letter lets through on its partition."""

    applied: list[Applied] = field(default_factory=list)
    """The retried event (in its place) and the parked events no longer held, in order."""
    released_offsets: list[int] = field(default_factory=list)
    """Parked records that leave the park (applied, or dead letters of their own)."""
    still_parked: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)
    """Released records that still cannot be decoded."""


def release(partition: int, open_letters: Iterable[tuple[int, str]],
            parked: Iterable[Parked], retried: tuple[int, Applied] | None) -> Release:
    """Walk the partition's other open dead letters (offset, key) and its parked records in
    offset order through a fresh gate, as the consumer would have had the resolved dead
    letter never been there (``retried``: its offset and event, applied in its place)."""
    steps: list[tuple[int, str | Parked | Applied]] = list(open_letters)
    steps += [(item.record.offset, item) for item in parked]
    if retried is not None:
        steps.append(retried)
    # offsets are unique on a partition: a record is an open dead letter, parked, or the
    # resolved one (no longer open), never two of them
    steps.sort(key=lambda step: step[0])
    held, result = HeldKeys(), Release()
    for _, item in steps:
        if isinstance(item, str):
            held.hold(partition, item)
        elif isinstance(item, Parked):
            _release_one(item, held, result)
        else:
            result.applied.append(item)
    return result


def _release_one(item: Parked, held: HeldKeys, result: Release) -> None:
    partition = item.record.partition
    if held.blocks(partition, item.key):
        held.park(partition, item.key)
        result.still_parked += 1
        return
    result.released_offsets.append(item.record.offset)
    envelope, event, error = decode(item.record)
    if error is not None or envelope is None or event is None:
        assert error is not None
        held.hold(partition, item.key)
        result.dead_letters.append(DeadLetter(item.record, error.code, str(error)))
        return
    result.applied.append((envelope, event, partition))
