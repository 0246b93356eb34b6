"""Which records of a batch are applied, skipped, parked or dead-lettered; and, when an
operator resolves a dead letter, which parked records it releases. Pure: the service layer
loads the positions and held keys beforehand and writes the outcome afterwards.

A record below its partition's stored offset, or an event at or below the highest global
position already seen there (the relay re-publishes after a crash), is skipped. A record
that cannot be decoded becomes a dead letter and holds its key (``held_keys``); a record
whose key is held is parked; everything else is applied, in order.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.appraisal.domain.held_keys import HeldKeys
from services.appraisal.domain.positions import Cursor, Position
from services.appraisal.domain.records import Applied, DeadLetter, Record, decode, hold_key


@dataclass(frozen=True)
class Parked:
    """A record waiting behind a held key."""

    record: Record
    key: str
    position: int | None
    """Its event's global position, when the envelope could be read."""


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


def triage(records: Sequence[Record], stored: Mapping[int, Position],
           held: HeldKeys) -> Triage:
    """Sort one batch of records of one topic (``stored``: the partitions' positions)."""
    result = Triage()
    cursors = {partition: Cursor(position) for partition, position in stored.items()}
    for record in records:
        cursor = cursors.get(record.partition)
        if cursor is None:
            cursor = cursors[record.partition] = Cursor(Position(record.topic,
                                                                 record.partition))
        _sort(record, cursor, held, result)
    topic = records[0].topic if records else ""
    result.positions = [cursor.at(topic, partition) for partition, cursor in cursors.items()]
    return result


def _sort(record: Record, cursor: Cursor, held: HeldKeys, result: Triage) -> None:
    if record.offset < cursor.next_offset:
        result.skipped += 1
        return
    cursor.next_offset = record.offset + 1
    envelope, event, error = decode(record)
    position = envelope.position if envelope is not None else None
    if position is not None:
        if position <= cursor.last_position:
            result.skipped += 1  # re-published by the relay after a crash: already seen
            return
        cursor.last_position = position
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
    steps: list[tuple[int, int, str | Parked | Applied]] = [
        (offset, 0, key) for offset, key in open_letters]
    steps += [(item.record.offset, 1, item) for item in parked]
    if retried is not None:
        steps.append((retried[0], 2, retried[1]))
    steps.sort(key=lambda step: step[:2])
    held, result = HeldKeys(), Release()
    for _, _, item in steps:
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
