"""Sorting a batch (skip, park, dead-letter, apply) and releasing parked records, on plain
values: the positions and held keys a batch starts from are built in memory, no database."""

from datetime import date

import pytest

from services.appraisal.domain.held_keys import HeldKeys
from services.appraisal.domain.positions import Position
from services.appraisal.domain.records import Record, decode
from services.appraisal.domain.triage import Parked, release, triage
from shared.topics import BROADCAST_KEY
from tests.support.history import History, nip, wire

pytestmark = pytest.mark.unit

TOPIC = "events"


def records(history: History, partition: int = 0, first_offset: int = 0) -> list[Record]:
    return [Record(TOPIC, partition, first_offset + n, value, key)
            for n, (key, value) in enumerate(wire(e) for e in history.envelopes)]


def two_activities() -> History:
    history = History()
    history.employee(1)
    history.activity(1, date(2026, 1, 5))
    history.activity(1, date(2026, 1, 6))
    return history


def test_a_fresh_partition_applies_everything_and_moves_its_position() -> None:
    batch = records(two_activities())
    result = triage(batch, {}, HeldKeys())
    assert [envelope.position for envelope, _, _ in result.applied] == [1, 2, 3]
    (position,) = result.positions
    assert (position.partition, position.next_offset, position.last_position) == (0, 3, 3)
    assert result.last_recorded_at[0] == result.applied[-1][0].recorded_at


def test_below_the_stored_offset_or_position_is_skipped() -> None:
    history = two_activities()
    batch = records(history)
    stored = {0: Position(TOPIC, 0, next_offset=1, last_position=1)}
    result = triage(batch, stored, HeldKeys())
    assert (len(result.applied), result.skipped) == (2, 1)
    # the relay re-publishes events 2 and 3 at new offsets: their positions give them away
    again = [Record(TOPIC, 0, 3 + n, r.value, r.key) for n, r in enumerate(batch[1:])]
    stored = {0: Position(TOPIC, 0, next_offset=3, last_position=3)}
    result = triage(again, stored, HeldKeys())
    assert (result.applied, result.skipped) == ([], 2)
    assert result.positions[0].next_offset == 5  # consumed, though not applied


def test_a_poison_record_holds_its_key_and_later_records_of_it_park() -> None:
    history = two_activities()
    poison = Record(TOPIC, 0, 0, b"not json", nip(1).encode())
    other = History(position=10)
    other.employee(2)
    batch = [poison, *records(history, first_offset=1), *records(other, first_offset=4)]
    result = triage(batch, {}, HeldKeys())
    assert [d.code for d in result.dead_letters] == ["undecodable"]
    assert [p.record.offset for p in result.parked] == [1, 2, 3]
    assert [e.subject_nip for e, _, _ in result.applied] == [nip(2)]  # another key goes on
    assert result.positions[0].last_position == 11


def test_a_broadcast_behind_a_held_key_holds_the_whole_partition() -> None:
    history = History()
    history.activity(1, date(2026, 1, 5))
    history.close("2026-01")
    history.activity(2, date(2026, 1, 6))
    held = HeldKeys()
    held.hold(0, nip(1))
    result = triage(records(history), {}, held)
    assert [p.key for p in result.parked] == [nip(1), BROADCAST_KEY, nip(2)]
    assert held.blocks(0, nip(3)) and not held.blocks(1, nip(3))


def test_release_applies_in_offset_order_until_the_next_held_key() -> None:
    history = History()
    for i in (1, 2, 1, 2, 1):  # positions 1..5
        history.activity(i, date(2026, 1, 5))
    e1, e2, e3, e4, e5 = records(history)
    broken = Record(TOPIC, 0, 4, b"still broken", nip(1).encode())
    parked = [Parked(Record(TOPIC, 0, offset, r.value, r.key), r.key.decode(), None)
              for offset, r in ((2, e3), (3, e4), (4, broken), (5, e5)) if r.key]
    envelope, event, _ = decode(e1)
    assert envelope is not None and event is not None
    # the dead letter at offset 0 (nip 1) is retried; another, at offset 1, holds nip 2
    freed = release(0, [(1, nip(2))], parked, (0, (envelope, event, 0)))
    assert [e.position for e, _, _ in freed.applied] == [1, 3]
    assert freed.released_offsets == [2, 4]  # e3 applied, the broken one a dead letter
    assert [d.code for d in freed.dead_letters] == ["undecodable"]
    assert freed.still_parked == 2  # e4 behind nip 2, e5 behind the new dead letter
    assert e2.key == nip(2).encode()
