"""Personal fields: which they are, sealing before the chain, opening at the edge."""

import os
import uuid
from datetime import UTC, datetime

import pytest

from shared.chain import GENESIS_HASH, chain_hash
from shared.codec import decode_payload
from shared.envelope import EventEnvelope
from shared.events import (
    BehaviourReview,
    EmployeeRegistered,
    Event,
    FinanceDataRecorded,
    ReviewSubmitted,
    ValidationReview,
)
from shared.keystore import InMemoryKeyStore, MasterKey
from shared.personal import (
    ERASED,
    PERSONAL_FIELDS,
    RESTRICTED,
    UNREADABLE,
    Revealer,
    open_sealed,
    parse,
    seal,
    seal_envelope,
    sealed_in,
)

NIP = "198503152010011001"
RATER = "197001011995031001"
AT = datetime(2026, 3, 2, 8, tzinfo=UTC)


def envelope_of(event: Event, subject: str = NIP) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid4(), event_type=event.event_type, schema_version=1,
        stream_id="s-1", stream_version=1, subject_nip=subject, occurred_at=AT,
        recorded_at=AT, actor="admin", source="app", correlation_id=uuid.uuid4(),
        payload=event.model_dump(mode="json"))


def keys() -> InMemoryKeyStore:
    return InMemoryKeyStore(MasterKey(os.urandom(32)))


def registered(name: str = "Siti Nurhaliza Wibowo") -> EmployeeRegistered:
    return EmployeeRegistered(nip=NIP, name=name, unit="BAPENDA", position="Analis",
                              structural=False, employment_type="PNS", job_class=7)


def test_the_personal_fields_are_those_the_contracts_call_personal() -> None:
    assert {t: [".".join(p) for p in paths] for t, paths in PERSONAL_FIELDS.items()} == {
        "EmployeeRegistered": ["name"],
        "ReviewSubmitted": ["review.comment", "review.note"],
        "AbsenceJustificationDecided": ["note"],
        "FinanceDataRecorded": ["bank_account", "npwp"],
        "RealisationReported": ["note"],
        "RealisationValidated": ["note"],
        "PerformanceRated": ["reason"],
        "ObjectionFiled": ["reasons"],
        "ObjectionDecided": ["reason"],
        "ProcessingRestricted": ["reason"],
    }


async def test_sealing_hides_the_name_and_the_sealed_event_still_decodes() -> None:
    store = keys()
    sealed = await seal_envelope(envelope_of(registered()), store)
    assert "Siti" not in sealed.model_dump_json()
    event = decode_payload(sealed)
    assert isinstance(event, EmployeeRegistered)
    assert event.unit == "BAPENDA" and event.job_class == 7  # the rest stays in the clear
    assert await Revealer(store).reveal(event.name) == "Siti Nurhaliza Wibowo"


async def test_nested_review_fields_are_sealed_and_missing_ones_left_alone() -> None:
    store = keys()
    behaviour = ReviewSubmitted(review=BehaviourReview(
        period="2026-02", rater_nip=RATER, ratee_nip=NIP, relation="peer",
        scores={"berorientasi_pelayanan": 80}, comment="Sering terlambat rapat"))
    sealed = await seal_envelope(envelope_of(behaviour), store)
    assert parse(sealed.payload["review"]["comment"]) is not None
    assert sealed.payload["review"]["scores"] == {"berorientasi_pelayanan": 80}
    approved = ReviewSubmitted(review=ValidationReview(
        activity_id=uuid.uuid4(), owner_nip=NIP, reviewer_nip=RATER, decision="approved"))
    plain = envelope_of(approved)
    assert (await seal_envelope(plain, store)).payload == plain.payload  # no note: nothing


async def test_finance_data_is_sealed_and_decodes() -> None:
    event = FinanceDataRecorded(nip=NIP, npwp="3171234509870001", bank_name="Bank DKI",
                                bank_account="1234567890")
    sealed = await seal_envelope(envelope_of(event), keys())
    assert "3171234509870001" not in sealed.model_dump_json()
    assert "1234567890" not in sealed.model_dump_json()
    assert isinstance(decode_payload(sealed), FinanceDataRecorded)


async def test_the_chain_covers_the_ciphertext_and_survives_the_erasure() -> None:
    store = keys()
    sealed = await seal_envelope(envelope_of(registered()), store)
    digest = chain_hash(GENESIS_HASH, sealed)
    await store.destroy(NIP)
    assert chain_hash(GENESIS_HASH, sealed) == digest  # the stored bytes did not change
    assert await Revealer(store).reveal(sealed.payload) == {**sealed.payload, "name": ERASED}


async def test_an_erased_subject_gets_no_new_personal_data() -> None:
    store = keys()
    await store.destroy(NIP)
    sealed = await seal_envelope(envelope_of(registered()), store)
    assert sealed.payload["name"] == ERASED
    assert isinstance(decode_payload(sealed), EmployeeRegistered)


async def test_a_sealed_value_moved_elsewhere_does_not_open() -> None:
    key = os.urandom(32)
    text = seal(key, NIP, str(uuid.uuid4()), "EmployeeRegistered", "name", "Siti")
    found = parse(text)
    assert found is not None and open_sealed(key, found) == "Siti"
    moved = text.replace(":name:", ":position:")  # claims another field
    moved_found = parse(moved)
    assert moved_found is not None
    with pytest.raises(ValueError):
        open_sealed(key, moved_found)


async def test_the_revealer_opens_deep_values_and_caches_keys_for_a_while() -> None:
    store, now = keys(), [0.0]
    sealed = await seal_envelope(envelope_of(registered("Budi")), store)
    revealer = Revealer(store, ttl_s=30, clock=lambda: now[0])
    document = {"rows": [{"name": sealed.payload["name"], "minutes": 90}], "n": ("x",)}
    assert await revealer.reveal(document) == {"rows": [{"name": "Budi", "minutes": 90}],
                                               "n": ("x",)}
    await store.destroy(NIP)
    assert await revealer.reveal(sealed.payload["name"]) == "Budi"  # the cached key
    now[0] = 31.0
    assert await revealer.reveal(sealed.payload["name"]) == ERASED


async def test_a_forged_sealed_value_reads_unreadable() -> None:
    store = keys()
    sealed = await seal_envelope(envelope_of(registered("Budi")), store)
    text = sealed.payload["name"]
    forged = text[:-4] + ("AAAA" if not text.endswith("AAAA") else "BBBB")
    assert await Revealer(store).reveal(forged) == UNREADABLE
    assert await Revealer(store).reveal("enc:v1:not-really") == "enc:v1:not-really"


async def test_sealed_values_quoted_inside_a_text_open_in_place() -> None:
    store = keys()
    first = (await seal_envelope(envelope_of(registered("Budi")), store)).payload["name"]
    second = (await seal_envelope(envelope_of(registered("Ani")), store)).payload["name"]
    reason = f"rater override: results set to as_expected (derived below): {first}"
    assert await Revealer(store).reveal(reason) == (
        "rater override: results set to as_expected (derived below): Budi")
    assert await Revealer(store).reveal(f"{first}; {second}.") == "Budi; Ani."
    assert await Revealer(store).reveal("see enc:v1:not-really here") == (
        "see enc:v1:not-really here")
    await store.destroy(NIP)
    assert await Revealer(store).reveal(f"quoted: {first}") == f"quoted: {ERASED}"


async def test_a_withheld_subjects_values_read_restricted_and_the_others_open() -> None:
    store = keys()
    mine = (await seal_envelope(envelope_of(registered("Budi")), store)).payload["name"]
    theirs = (await seal_envelope(envelope_of(registered("Ani"), RATER), store)).payload["name"]
    document = {"rows": [{"name": mine}, {"name": theirs}], "why": f"quoted: {mine}"}
    assert await Revealer(store).reveal(document, withheld={NIP}) == {
        "rows": [{"name": RESTRICTED}, {"name": "Ani"}], "why": f"quoted: {RESTRICTED}"}
    assert await Revealer(store).reveal(document, withheld={RATER}) == {
        "rows": [{"name": "Budi"}, {"name": RESTRICTED}], "why": "quoted: Budi"}


async def test_sealed_in_finds_every_sealed_value_with_its_subject() -> None:
    store = keys()
    mine = (await seal_envelope(envelope_of(registered("Budi")), store)).payload["name"]
    theirs = (await seal_envelope(envelope_of(registered("Ani"), RATER), store)).payload["name"]
    document = {"a": [mine, ("x", 3)], "b": {"c": f"said {theirs}."}, "d": "enc:v1:junk"}
    assert [sealed.subject for sealed in sealed_in(document)] == [NIP, RATER]
    assert sealed_in({"n": 1, "s": "plain", "l": []}) == []
