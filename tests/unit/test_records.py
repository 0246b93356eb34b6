"""Records as the projections read them: decoding, the key a dead letter holds, the bytes a
dead letter keeps, and where a replay stops. Exact values, the bounds on both sides."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from services.appraisal.domain.records import NOW, AsOf, Record, decode, from_kafka, hold_key
from shared.codec import decode_payload, encode
from shared.topics import BROADCAST_KEY
from tests.support.history import History, nip

pytestmark = pytest.mark.unit

START = datetime(2026, 1, 2, 8, tzinfo=UTC)  # History's default: event n is recorded n s later


def three_events() -> History:
    history = History(start=START)
    history.employee(1)
    history.activity(1, date(2026, 1, 5))
    history.activity(1, date(2026, 1, 6))
    return history


def test_a_record_decodes_to_its_envelope_and_event() -> None:
    envelope = three_events().envelopes[0]
    header, event, error = decode(Record("events", 0, 0, encode(envelope)))
    assert header is not None and error is None
    assert header.model_dump(exclude={"payload"}) == envelope.model_dump(exclude={"payload"})
    assert event == decode_payload(envelope)
    # a pre-decoded record (a rebuild from the store) is taken as it is
    assert decode(Record("events", 0, 0, b"", envelope=envelope))[0] is envelope


def test_an_event_of_its_current_version_is_decoded_in_one_pass() -> None:
    # the consumers' hot path: the payload validated straight into its event class, which is
    # the header's own payload (the two-step path leaves a dict there)
    header, event, error = decode(Record("events", 0, 0, encode(three_events().envelopes[1])))
    assert error is None and event is not None
    assert getattr(header, "payload", None) is event


def test_an_envelope_without_a_global_position_is_a_contract_violation() -> None:
    envelope = three_events().envelopes[0].model_copy(update={"position": None})
    found, event, error = decode(Record("events", 0, 0, encode(envelope)))
    assert (found, event) == (envelope, None)
    assert error is not None
    assert (error.code, str(error)) == ("contract_violation", "envelope has no global position")


def test_a_record_decoded_ahead_decodes_as_one_decoded_when_applied() -> None:
    # the consumer decodes the next batch while the current one commits
    good = encode(three_events().envelopes[0])
    unplaced = encode(three_events().envelopes[0].model_copy(update={"position": None}))
    for value in (good, unplaced, b"not json", b""):
        message = SimpleNamespace(topic="events", partition=2, offset=7, value=value,
                                  key=b"k", timestamp=1, headers=[("h", b"v")])
        ahead, later = from_kafka(message, ahead=True), from_kafka(message)
        assert ahead == later and later.decoded is None  # the same record either way
        assert ahead.decoded is not None and decode(ahead) is ahead.decoded
        (header, event, error), (header2, event2, error2) = decode(ahead), decode(later)
        assert (header, event) == (header2, event2)
        assert (error and (error.code, str(error))) == (error2 and (error2.code, str(error2)))
    assert decode(from_kafka(message, ahead=True))[2] is not None  # b"" does not decode


def test_a_dead_letter_holds_its_kafka_key_or_the_whole_partition() -> None:
    assert hold_key(Record("events", 0, 0, b"", nip(1).encode())) == nip(1)
    assert hold_key(Record("events", 0, 0, b"", None)) == BROADCAST_KEY == "*"
    # a key that is not UTF-8 still holds something (each bad byte becomes U+FFFD)
    assert hold_key(Record("events", 0, 0, b"", b"\xff19\xfe")) == "\ufffd19\ufffd"


def test_the_raw_bytes_are_the_value_or_the_encoded_envelope() -> None:
    envelope = three_events().envelopes[1]
    assert Record("events", 0, 0, b"as received").raw() == b"as received"
    assert Record("events", 0, 0, b"as received", envelope=envelope).raw() == b"as received"
    assert Record("events", 0, 0, b"", envelope=envelope).raw() == encode(envelope)
    assert Record("events", 0, 0, b"").raw() == b""


def test_a_bound_names_itself() -> None:
    assert str(AsOf(position=7)) == "position 7"
    assert str(AsOf(position=0)) == "position 0"
    assert str(AsOf(moment=START)) == "2026-01-02T08:00:00+00:00"
    assert str(AsOf(position=7, moment=START)) == "position 7"  # the position wins
    assert str(NOW) == str(AsOf()) == "now"


def values() -> list[bytes]:
    return [encode(e) for e in three_events().envelopes]  # positions 1, 2, 3


def test_a_position_bound_excludes_only_what_lies_past_it() -> None:
    assert [AsOf(position=2).excludes(v) for v in values()] == [False, False, True]
    assert [AsOf(position=0).excludes(v) for v in values()] == [True, True, True]
    no_position = three_events().envelopes[0].model_copy(update={"position": None})
    assert AsOf(position=0).excludes(encode(no_position)) is False  # counted as position 0


def test_a_moment_bound_excludes_only_what_was_recorded_after_it() -> None:
    second = datetime(2026, 1, 2, 8, 0, 2, tzinfo=UTC)  # the second event's recorded_at
    assert [AsOf(moment=second).excludes(v) for v in values()] == [False, False, True]
    assert [AsOf(moment=START).excludes(v) for v in values()] == [True, True, True]


def test_with_both_bounds_either_one_excludes() -> None:
    first = datetime(2026, 1, 2, 8, 0, 1, tzinfo=UTC)
    assert [AsOf(position=2, moment=first).excludes(v) for v in values()] == [
        False, True, True]
    assert [AsOf(position=1, moment=START + (first - START) * 3).excludes(v)
            for v in values()] == [False, True, True]


def test_no_bound_and_undecodable_bytes_exclude_nothing() -> None:
    assert [NOW.excludes(v) for v in [*values(), b"junk", None]] == [False] * 5
    # the projections dead-letter what cannot be read, as the live consumer would
    assert AsOf(position=1).excludes(b"junk") is False
    assert AsOf(moment=START).excludes(None) is False
