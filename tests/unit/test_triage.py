"""Sorting a batch (skip, park, dead-letter, apply) and releasing parked records, on plain
values: the positions and held keys a batch starts from are built in memory, no database."""

from datetime import UTC, date, datetime

import pytest

from services.appraisal.domain.held_keys import HeldKeys
from services.appraisal.domain.positions import Position
from services.appraisal.domain.records import DeadLetter, Record, decode
from services.appraisal.domain.triage import Parked, Triage, release, triage
from shared.topics import BROADCAST_KEY
from tests.support.history import History, nip, wire

pytestmark = pytest.mark.unit

TOPIC = "events"
NOT_JSON = "not an event envelope: <root>: Invalid JSON: expected ident at line 1 column 2"
STILL_BROKEN = "not an event envelope: <root>: Invalid JSON: expected value at line 1 column 1"


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
    assert (result.applied, result.skipped) == ([], 0)  # claims, settled on the ids seen
    assert [(r.position, r.event_id) for r in result.repeats] == [
        (e.position, e.event_id) for e in history.envelopes[1:]]
    result.settle({(0, e.position or 0): e.event_id for e in history.envelopes})
    assert (result.applied, result.skipped, result.dead_letters, result.repeats) == (
        [], 2, [], [])
    assert result.positions[0].next_offset == 5  # consumed, though not applied
    assert result.positions[0].last_position == 3


def test_a_poison_record_holds_its_key_and_later_records_of_it_park() -> None:
    history = two_activities()
    poison = Record(TOPIC, 0, 0, b"not json", nip(1).encode())
    other = History(position=10)
    other.employee(2)
    batch = [poison, *records(history, first_offset=1), *records(other, first_offset=4)]
    result = triage(batch, {}, HeldKeys())
    assert result.dead_letters == [DeadLetter(poison, "undecodable", NOT_JSON)]
    assert [p.record.offset for p in result.parked] == [1, 2, 3]
    assert [p.position for p in result.parked] == [1, 2, 3]
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
    assert freed.dead_letters == [DeadLetter(parked[2].record, "undecodable", STILL_BROKEN)]
    assert freed.still_parked == 2  # e4 behind nip 2, e5 behind the new dead letter
    assert e2.key == nip(2).encode()


def test_each_partition_keeps_its_topic_and_what_it_had_seen() -> None:
    """Partition 0 starts at offset 5 (its two records below are skipped, its lag time
    kept); partition 1 is new and applies its one record."""
    seen_at = datetime(2026, 1, 1, 7, tzinfo=UTC)
    stored = {0: Position(TOPIC, 0, next_offset=5, last_position=9, last_recorded_at=seen_at)}
    history = two_activities()
    old = records(history, first_offset=3)[:2]
    (fresh,) = records(_one_employee(), partition=1)
    result = triage([*old, fresh], stored, HeldKeys())
    assert result.skipped == 2
    recorded_at = result.applied[0][0].recorded_at
    assert result.positions == [Position(TOPIC, 0, 5, 9, seen_at),
                                Position(TOPIC, 1, 1, 21, recorded_at)]
    assert result.last_recorded_at == {1: recorded_at}


def test_an_empty_batch_leaves_the_stored_positions_as_they_are() -> None:
    stored = {3: Position(TOPIC, 3, next_offset=8, last_position=40)}
    assert triage([], stored, HeldKeys()) == Triage(positions=[stored[3]])
    assert triage([], {}, HeldKeys()) == Triage()


def test_a_parked_broadcast_keeps_everything_after_it_parked_on_release() -> None:
    """nip 2 stays held by another open dead letter; the parked close behind it then holds
    the whole partition, so the parked activity of nip 3 (held by nobody) waits too."""
    history = History()
    history.close("2026-01")
    history.activity(3, date(2026, 2, 2))
    close, activity = records(history, first_offset=2)
    parked = [Parked(close, BROADCAST_KEY, 1), Parked(activity, nip(3), 2)]
    freed = release(0, [(1, nip(2))], parked, None)
    assert (freed.applied, freed.released_offsets, freed.still_parked) == ([], [], 2)
    # with nothing held, both go through in order
    freed = release(0, [], parked, None)
    assert [e.position for e, _, _ in freed.applied] == [1, 2]
    assert freed.released_offsets == [2, 3]


def _one_employee() -> History:
    history = History(position=20)
    history.employee(4)
    return history
