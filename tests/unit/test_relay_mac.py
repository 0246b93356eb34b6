"""The relay's MAC (``shared.record_mac``) and the consumer's gate on it
(``domain.authenticity``, ``domain.triage``): exact refusal texts, the legacy boundary, and
what a forged record may and may not do to the events after it."""

import dataclasses
import hashlib
import hmac
import os
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from services.appraisal.domain.authenticity import OPEN, Gate
from services.appraisal.domain.held_keys import HeldKeys
from services.appraisal.domain.positions import Position
from services.appraisal.domain.records import (
    NOT_THE_KEYS_OWN,
    POSITION_REUSED,
    UNAUTHENTICATED,
    Record,
    from_kafka,
)
from services.appraisal.domain.triage import triage
from services.appraisal.settings import AppraisalSettings
from services.intake.settings import IntakeSettings
from shared.codec import encode
from shared.pseudonym import Pseudonyms
from shared.record_mac import RelayKey, RelayKeyError, load_relay_key, record_headers
from tests.support.history import History, nip, wire

pytestmark = pytest.mark.unit

TOPIC = "erk.events.v1"
KEY = RelayKey(bytes(range(32)))
OTHER = RelayKey(bytes(range(1, 33)))


def signed(history: History, partition: int = 0, first_offset: int = 0,
           key: RelayKey = KEY) -> list[Record]:
    out = []
    for n, envelope in enumerate(history.envelopes):
        record_key, value = wire(envelope)
        out.append(Record(TOPIC, partition, first_offset + n, value, record_key,
                          headers=tuple(key.headers(TOPIC, partition, record_key, value))))
    return out


def test_the_mac_is_hmac_sha256_over_topic_partition_framed_key_and_value() -> None:
    expected = hmac.new(bytes(range(32)), b"erk-relay-mac-v1\0erk.events.v1\x002\x003:abc\0v",
                        hashlib.sha256).digest()
    assert KEY.mac(TOPIC, 2, b"abc", b"v") == expected
    assert KEY.mac(TOPIC, 2, None, b"v") == hmac.new(
        bytes(range(32)), b"erk-relay-mac-v1\0erk.events.v1\x002\0-\0v", hashlib.sha256).digest()
    assert KEY.key_id == hashlib.sha256(b"erk-relay-key" + bytes(range(32))).hexdigest()[:16]
    assert record_headers(None, TOPIC, 0, b"k", b"v") == []
    assert record_headers(KEY, TOPIC, 0, b"k", b"v") == [
        ("erk-mac", KEY.mac(TOPIC, 0, b"k", b"v")), ("erk-mac-key", KEY.key_id.encode())]


def test_refusals_name_what_is_wrong() -> None:
    headers = KEY.headers(TOPIC, 0, b"k", b"v")
    assert KEY.refusal(TOPIC, 0, b"k", b"v", headers) is None
    assert KEY.refusal(TOPIC, 0, b"k", b"v", []) == "no relay MAC (header erk-mac)"
    assert KEY.refusal(TOPIC, 0, b"k", b"v", OTHER.headers(TOPIC, 0, b"k", b"v")) == (
        f"relay MAC made with key {OTHER.key_id}, not {KEY.key_id}")
    assert KEY.refusal(TOPIC, 0, b"k", b"v", headers[:1]) == (
        f"relay MAC made with key (none named), not {KEY.key_id}")
    wrong = "relay MAC does not match the record's topic, partition, key and value"
    for topic, partition, key, value in [("other", 0, b"k", b"v"), (TOPIC, 1, b"k", b"v"),
                                         (TOPIC, 0, b"K", b"v"), (TOPIC, 0, None, b"v"),
                                         (TOPIC, 0, b"k", b"v2")]:
        assert KEY.refusal(topic, partition, key, value, headers) == wrong


def test_the_key_file_is_hex_of_32_bytes_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "relay.key"
    path.write_text(bytes(range(32)).hex() + "\n")
    os.chmod(path, 0o600)
    assert load_relay_key(path) == KEY
    os.chmod(path, 0o640)
    with pytest.raises(RelayKeyError, match="readable by others; chmod 600 it"):
        load_relay_key(path)
    os.chmod(path, 0o600)
    path.write_text(bytes(31).hex())
    with pytest.raises(RelayKeyError, match="has 31 bytes, fewer than 32"):
        load_relay_key(path)
    path.write_text("zz" * 32)
    with pytest.raises(RelayKeyError, match="is not hex"):
        load_relay_key(path)
    with pytest.raises(RelayKeyError, match=r"missing\.key: No such file or directory"):
        load_relay_key(tmp_path / "missing.key")


def history_of(count: int, position: int = 0) -> History:
    history = History(position=position)
    history.employee(1)
    for day in range(1, count):
        history.activity(1, date(2026, 1, day + 4))
    return history


def test_the_gate_passes_the_relays_records_and_those_rebuilt_from_the_store() -> None:
    (record,) = signed(history_of(1))
    assert Gate(KEY).refusal(record, 1) is None
    assert OPEN.refusal(dataclasses.replace(record, headers=()), 1) is None
    bare = dataclasses.replace(record, headers=())
    assert Gate(KEY).refusal(bare, 1) == "no relay MAC (header erk-mac)"
    rebuilt = Record(TOPIC, 0, 0, b"", record.key, envelope=history_of(1).envelopes[0])
    assert Gate(KEY).refusal(rebuilt, 1) is None


def test_unsigned_records_pass_up_to_the_configured_position_only() -> None:
    (record,) = signed(history_of(1))
    bare = dataclasses.replace(record, headers=())
    gate = Gate(KEY, unsigned_up_to=7)
    assert gate.refusal(bare, 7) is None
    assert gate.refusal(bare, 8) == "no relay MAC (header erk-mac)"
    assert gate.refusal(bare, None) == "no relay MAC (header erk-mac)"
    forged = dataclasses.replace(record, headers=tuple(OTHER.headers(TOPIC, 0, b"k", b"v")))
    assert gate.refusal(forged, 1) == f"relay MAC made with key {OTHER.key_id}, not {KEY.key_id}"


def test_a_forged_high_position_is_dead_lettered_and_hides_nothing_after_it() -> None:
    real = history_of(3)
    forged_history = history_of(1, position=1_000)
    (forged_key, forged_value) = wire(forged_history.envelopes[0])
    forged = Record(TOPIC, 0, 0, forged_value, forged_key)  # no MAC
    batch = [forged, *signed(real, first_offset=1)]
    result = triage(batch, {}, HeldKeys(), Gate(KEY))
    assert [(d.code, d.reason, d.record.offset) for d in result.dead_letters] == [
        (UNAUTHENTICATED, "no relay MAC (header erk-mac)", 0)]
    assert [e.position for e, _, _ in result.applied] == [1, 2, 3]
    assert (result.parked, result.skipped, result.repeats) == ([], 0, [])
    (position,) = result.positions
    assert (position.next_offset, position.last_position) == (4, 3)
    assert [(p, pos) for p, pos, _ in result.seen] == [(0, 1), (0, 2), (0, 3)]
    assert UNAUTHENTICATED in NOT_THE_KEYS_OWN and POSITION_REUSED in NOT_THE_KEYS_OWN
    unchecked = triage(batch, {}, HeldKeys())  # without the gate: the forgery goes in, and
    assert [e.position for e, _, _ in unchecked.applied] == [1_001]  # the real ones wait
    assert [r.position for r in unchecked.repeats] == [1, 2, 3]  # on ids never delivered


def test_a_re_publication_in_the_same_batch_is_skipped_only_with_the_same_id() -> None:
    real = history_of(2)
    first = signed(real)
    repeat = dataclasses.replace(first[1], offset=2)
    other = real.envelopes[1].model_copy(update={"event_id": uuid.uuid4()})
    key, value = wire(other)
    reused = Record(TOPIC, 0, 3, value, key, headers=tuple(KEY.headers(TOPIC, 0, key, value)))
    result = triage([*first, repeat, reused], {}, HeldKeys(), Gate(KEY))
    assert (len(result.applied), result.skipped, result.repeats) == (2, 1, [])
    (letter,) = result.dead_letters
    assert (letter.code, letter.record.offset) == (POSITION_REUSED, 3)
    assert letter.reason == (
        f"event {other.event_id} claims position 2, at or below the highest seen on "
        f"partition 0, but event {real.envelopes[1].event_id} was delivered there")


def test_a_claim_on_a_position_no_longer_remembered_is_dead_lettered() -> None:
    real = history_of(2)
    stored = {0: Position(TOPIC, 0, next_offset=2, last_position=2)}
    again = [dataclasses.replace(r, offset=2 + n) for n, r in enumerate(signed(real))]
    result = triage(again, stored, HeldKeys(), Gate(KEY))
    result.settle({(0, 2): real.envelopes[1].event_id})
    assert result.skipped == 1
    (letter,) = result.dead_letters
    assert (letter.code, letter.record.offset) == (POSITION_REUSED, 2)
    assert letter.reason == (
        f"event {real.envelopes[0].event_id} claims position 1, at or below the highest seen "
        "on partition 0, but no event delivered there is remembered")
    assert encode(real.envelopes[0]) == letter.record.value
    assert nip(1).encode() == letter.record.key


def test_records_rebuilt_from_the_store_leave_no_ids_to_remember() -> None:
    real = history_of(2)
    rebuilt = [Record(TOPIC, 0, n, b"", wire(e)[0], envelope=e)
               for n, e in enumerate(real.envelopes)]
    result = triage(rebuilt, {}, HeldKeys(), Gate(KEY))
    assert (len(result.applied), result.seen, result.dead_letters) == (2, [], [])
    again = [dataclasses.replace(rebuilt[1], offset=2)]
    result = triage(rebuilt + again, {}, HeldKeys(), Gate(KEY))
    assert (len(result.applied), result.skipped) == (2, 1)  # the batch's own ids settle it


def test_prod_needs_the_relay_key_on_both_sides_and_dev_runs_open(tmp_path: Path) -> None:
    prod_url = "postgresql+asyncpg://erk:s3cret@db/erk"
    with pytest.raises(ValueError, match="INTAKE_RELAY_KEY_FILE is required in prod"):
        IntakeSettings(environment="prod", database_url=prod_url)
    with pytest.raises(ValueError, match="APPRAISAL_RELAY_KEY_FILE is required in prod"):
        AppraisalSettings(environment="prod", database_url=prod_url)
    path = tmp_path / "relay.key"
    path.write_text(bytes(range(32)).hex())
    os.chmod(path, 0o600)
    assert IntakeSettings(environment="prod", database_url=prod_url,
                          relay_key_file=path).relay_key_file == path
    assert AppraisalSettings(relay_key_file=path, unsigned_up_to=9).gate() == Gate(KEY, 9)
    assert AppraisalSettings(relay_key_file=None).gate() is OPEN


def test_a_kafka_message_becomes_a_record_with_its_headers() -> None:
    message = SimpleNamespace(topic=TOPIC, partition=2, offset=7, value=b"v", key=b"k",
                              timestamp=123, headers=[("erk-mac", b"m")])
    assert from_kafka(message) == Record(TOPIC, 2, 7, b"v", b"k", 123,
                                         headers=(("erk-mac", b"m"),))
    empty = SimpleNamespace(topic=TOPIC, partition=0, offset=0, value=None, key=None,
                            timestamp=1, headers=None)
    assert from_kafka(empty) == Record(TOPIC, 0, 0, b"", None, 1, headers=())


def test_other_headers_do_not_make_an_unsigned_record_signed() -> None:
    (record,) = signed(history_of(1))
    traced = dataclasses.replace(record, headers=(("traceparent", b"00-1"),))
    assert Gate(KEY, unsigned_up_to=1).refusal(traced, 1) is None
    assert Gate(KEY, unsigned_up_to=0).refusal(traced, 1) == "no relay MAC (header erk-mac)"


def test_triage_takes_unsigned_records_up_to_the_boundary_by_their_own_position() -> None:
    bare = [dataclasses.replace(r, headers=()) for r in signed(history_of(3))]
    result = triage(bare, {}, HeldKeys(), Gate(KEY, unsigned_up_to=2))
    assert [e.position for e, _, _ in result.applied] == [1, 2]
    assert [(d.code, d.record.offset) for d in result.dead_letters] == [(UNAUTHENTICATED, 2)]
    assert result.positions[0].last_position == 2


def test_an_envelope_without_a_position_is_a_contract_violation_that_holds_its_key() -> None:
    envelope = history_of(1).envelopes[0].model_copy(update={"position": None})
    key, value = wire(envelope)
    record = Record(TOPIC, 0, 0, value, key, headers=tuple(KEY.headers(TOPIC, 0, key, value)))
    held = HeldKeys()
    result = triage([record], {}, held, Gate(KEY))
    assert [(d.code, d.reason) for d in result.dead_letters] == [
        ("contract_violation", "envelope has no global position")]
    assert held.blocks(0, nip(1)) and result.positions[0].last_position == 0


def test_no_key_shows_its_secret_in_a_repr() -> None:
    # a traceback with locals or a debug log prints reprs: the secret must not be in them
    pseudonyms = Pseudonyms(bytes(range(32)))
    for key in (KEY, pseudonyms):
        assert bytes(range(32)).hex() not in repr(key)
        assert repr(bytes(range(32))) not in repr(key)


def test_the_key_id_is_the_same_on_every_call_and_names_the_secret() -> None:
    assert KEY.key_id == KEY.key_id == RelayKey(bytes(range(32))).key_id
    assert KEY.key_id != OTHER.key_id
