"""Event contracts: the envelope, encoding, decoding, versioning and upcasting."""

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from shared import codec
from shared.codec import UndecodableEvent, canonical_bytes, decode_envelope, decode_payload, encode
from shared.envelope import EventEnvelope, EventHeader
from shared.events import (
    EVENT_TYPES,
    AbsenceJustificationDecided,
    AbsenceJustificationSubmitted,
    ActingSuperiorAppointed,
    ActivityReported,
    ActivityRevised,
    AttendanceRecorded,
    BehaviourReview,
    CheckedUnit,
    CurveBreach,
    DistributionChecked,
    EmployeeRegistered,
    EmployeeTransferred,
    ErasureRequested,
    Event,
    FinanceDataRecorded,
    ObjectionDecided,
    ObjectionFiled,
    OrganisationalPredicateRecorded,
    PaymentRecorded,
    PerformanceRated,
    PeriodClosed,
    PersonalDataErased,
    PlannedResult,
    PolicyPublished,
    ProcessingRestricted,
    ProcessingRestrictionLifted,
    RealisationReported,
    RealisationValidated,
    ReportingLineChanged,
    ReviewSubmitted,
    SkpIndicator,
    SkpSet,
    ValidationReview,
)
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

NIP = "199001012015032001"
SUPERIOR = "196804111993031009"
ACTIVITY_ID = uuid.UUID("8d5c3f4e-0d0b-4c55-9a39-5c1d3f0a2b11")

SAMPLES: list[Event] = [
    EmployeeRegistered(nip=NIP, name="Siti Aminah", unit="BKPSDM", position="Analis",
                       structural=False, employment_type="PNS", job_class=7),
    ReportingLineChanged(nip=NIP, superior_nip=SUPERIOR, effective_from=date(2026, 1, 1)),
    ReportingLineChanged(nip=NIP, superior_nip=None, effective_from=date(2026, 2, 1)),
    ActivityReported(activity_id=ACTIVITY_ID, nip=NIP, work_date=date(2026, 3, 2), minutes=90,
                     description="Menyusun laporan", output="Laporan", source="app"),
    ActivityReported(activity_id=ACTIVITY_ID, nip=NIP, work_date=date(2026, 3, 2), minutes=15,
                     description="Pengesahan STNK", source="esamsat", external_ref="TX-1"),
    ReviewSubmitted(review=ValidationReview(activity_id=ACTIVITY_ID, owner_nip=NIP,
                                            reviewer_nip=SUPERIOR, decision="approved")),
    ReviewSubmitted(review=BehaviourReview(period="2026-03", rater_nip=SUPERIOR, ratee_nip=NIP,
                                           relation="superior", scores={"integritas": 90},
                                           comment="Baik")),
    PolicyPublished(version="erk-default-2026.1", effective_from="2026-01",
                    document=load_policy(default_policy_path()).model_dump(mode="json")),
    PeriodClosed(period="2026-02"),
    ActivityRevised(activity_id=ACTIVITY_ID, nip=NIP, work_date=date(2026, 3, 3), minutes=60,
                    description="Menyusun laporan (diperbaiki)", output="Laporan final"),
    ActingSuperiorAppointed(head_nip=SUPERIOR, acting_nip=NIP, kind="Plh",
                            valid_from=date(2026, 3, 2), valid_to=date(2026, 3, 13)),
    ReviewSubmitted(review=ValidationReview(activity_id=ACTIVITY_ID, owner_nip=NIP,
                                            reviewer_nip=NIP, decision="approved",
                                            acting_for=SUPERIOR)),
    AttendanceRecorded(nip=NIP, day=date(2026, 3, 2), kind="check_in", time="07:41",
                       source="e-presensi", device_record_id="FP-7-000123"),
    AttendanceRecorded(nip=NIP, day=date(2026, 3, 3), kind="absence", reason="sick",
                       source="e-presensi", device_record_id="FP-7-000124"),
    AbsenceJustificationSubmitted(justification_id=ACTIVITY_ID, nip=NIP,
                                  first_day=date(2026, 3, 4), last_day=date(2026, 3, 5),
                                  reason="sick", evidence_ref="SK-DOKTER-17",
                                  submitted_on=date(2026, 3, 6)),
    AbsenceJustificationDecided(justification_id=ACTIVITY_ID, nip=NIP, decision="approved",
                                decided_by=SUPERIOR),
    FinanceDataRecorded(nip=NIP, npwp="3201014101900001", bank_name="Bank Jatim",
                        bank_account="0011223344"),
    PaymentRecorded(period="2026-03", unit="BKPSDM", sp2d_number="00123/SP2D/2026",
                    sp2d_date=date(2026, 4, 13)),
    ActivityReported(activity_id=ACTIVITY_ID, nip=NIP, work_date=date(2026, 3, 2), minutes=30,
                     description="Verifikasi berkas", source="app", rhk_id="R1"),
    SkpSet(nip=NIP, period="2026-03", superior_nip=SUPERIOR, acting_for=None, results=[
        PlannedResult(rhk_id="R1", kind="main", description="Berkas terverifikasi",
                      supports_rhk_id="B2", indicators=[
                          SkpIndicator(indicator_id="q1", aspect="quantity",
                                       description="Berkas", target=40, unit="berkas")])]),
    RealisationReported(realisation_id=ACTIVITY_ID, nip=NIP, period="2026-03", rhk_id="R1",
                        indicator_id="q1", value=12.5, evidence="ND-17/2026"),
    RealisationValidated(realisation_id=ACTIVITY_ID, nip=NIP, period="2026-03",
                         reviewer_nip=SUPERIOR, decision="approved", note="Lanjutkan",
                         acting_for=None),
    PerformanceRated(nip=NIP, period="2026-03", rater_nip=SUPERIOR, acting_for=None,
                     results_override="above", behaviour_override=None, reason="Lembur"),
    OrganisationalPredicateRecorded(unit="BAPENDA-UPT1", period="2026-03", predicate="Baik"),
    DistributionChecked(period="2026-03", position=412, outcome="warned", close_action="closed",
                        units=[CheckedUnit(
                            unit="BAPENDA-UPT1", organisational_predicate="Butuh Perbaikan",
                            checked=True, policy_version="erk-2022", staff={"Baik": 3},
                            breaches=[CurveBreach(predicates=["Butuh Perbaikan"],
                                                  bound="at_least", limit_pct=60, count=0,
                                                  limit_people=2, by=2)],
                            outcome="warned"),
                               CheckedUnit(unit="BKPSDM", organisational_predicate="Baik",
                                           checked=False, policy_version=None, staff={},
                                           breaches=[], outcome=None)]),
    ObjectionFiled(nip=NIP, period="2026-02", reasons="Kegiatan tanggal 3 ditolak keliru",
                   rater_nip=SUPERIOR, decider_nip="197001011995031001",
                   filed_on=date(2026, 3, 12), deadline=date(2026, 3, 24)),
    ObjectionDecided(nip=NIP, period="2026-02", decided_by="197001011995031001",
                     outcome="upheld", reason="Kegiatan terbukti", decided_on=date(2026, 3, 20),
                     approved_minutes=5400, behaviour_score=None),
    ObjectionDecided(nip=NIP, period="2026-02", decided_by=NIP, acting_for=SUPERIOR,
                     outcome="rejected", reason="Tidak terbukti", decided_on=date(2026, 3, 20)),
    ObjectionDecided(nip=NIP, period="2026-03", decided_by="197001011995031001",
                     outcome="upheld", reason="Sasaran tercapai", decided_on=date(2026, 4, 20),
                     results_rating="as_expected", behaviour_rating="above"),
    EmployeeTransferred(nip=NIP, unit="BAPENDA", superior_nip=SUPERIOR,
                        effective_from=date(2026, 3, 16)),
    EmployeeTransferred(nip=NIP, unit="BAPENDA", superior_nip=None,
                        effective_from=date(2026, 4, 1)),
    ProcessingRestricted(nip=NIP, reference="PDP-2026-001", reason="Ketepatan data disanggah"),
    ProcessingRestrictionLifted(nip=NIP, reference="PDP-2026-001/selesai"),
    ErasureRequested(nip=NIP, legal_basis="UU PDP art. 8", reference="ND-17/2026",
                     requested_on=date(2026, 3, 2), due_on=date(2036, 2, 28)),
    PersonalDataErased(nip=NIP, reference="ND-17/2026", erased_on=date(2036, 2, 28)),
]


def test_an_activity_without_rhk_is_stored_as_before() -> None:
    plain = SAMPLES[3].model_dump(mode="json")
    assert "rhk_id" not in plain
    assert ActivityReported.model_validate(plain).rhk_id is None
    naming = next(e for e in SAMPLES if isinstance(e, ActivityReported) and e.rhk_id)
    assert naming.model_dump(mode="json")["rhk_id"] == "R1"


def test_a_2013_objection_decision_is_stored_as_before() -> None:
    """The 2022 ratings are left out of the payload when null: an older decision hashes
    unchanged."""
    before = next(e for e in SAMPLES if isinstance(e, ObjectionDecided))
    assert set(before.model_dump(mode="json")) == {
        "nip", "period", "decided_by", "acting_for", "outcome", "reason", "decided_on",
        "approved_minutes", "behaviour_score"}
    rated = next(e for e in SAMPLES if isinstance(e, ObjectionDecided) and e.results_rating)
    dumped = rated.model_dump(mode="json")
    assert (dumped["results_rating"], dumped["behaviour_rating"]) == ("as_expected", "above")
    assert ObjectionDecided.model_validate(dumped) == rated


def envelope_of(event: Event, **changes: Any) -> EventEnvelope:
    fields: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "stream_id": "test-1",
        "stream_version": 1,
        "position": 7,
        "subject_nip": NIP,
        "occurred_at": datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
        "recorded_at": datetime(2026, 3, 2, 8, 30, 1, tzinfo=UTC),
        "actor": NIP,
        "source": "app",
        "correlation_id": uuid.uuid4(),
        "causation_id": None,
        "payload": event.model_dump(mode="json"),
    }
    return EventEnvelope(**{**fields, **changes})


def wire(envelope: EventEnvelope, **payload_changes: Any) -> bytes:
    data = envelope.model_dump(mode="json")
    data["payload"] = {**data["payload"], **payload_changes}
    return json.dumps(data).encode()


def test_every_event_type_has_a_sample() -> None:
    assert {type(e) for e in SAMPLES} == set(EVENT_TYPES.values())


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=lambda c: c.__name__)
def test_every_event_field_is_described(cls: type[Event]) -> None:
    undescribed = [name for name, info in cls.model_fields.items() if not info.description]
    assert not undescribed, f"{cls.__name__}: {undescribed} lack a description"
    assert cls.model_config.get("frozen") and cls.model_config.get("extra") == "forbid"


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_round_trip_through_the_envelope(event: Event) -> None:
    envelope = envelope_of(event)
    decoded = decode_envelope(encode(envelope))
    assert decoded == envelope
    assert decoded.event_type == type(event).event_type
    assert decoded.schema_version == type(event).schema_version == 1
    assert decode_payload(decoded) == event
    assert type(decode_payload(decoded)) is type(event)


def test_schema_version_is_carried_on_the_wire() -> None:
    envelope = envelope_of(SAMPLES[0])
    assert json.loads(encode(envelope))["schema_version"] == 1


@pytest.mark.parametrize("data", [b"\x00\xff garbage", b"", b"[]", b'{"event_id": 1}', b"{"])
def test_garbage_is_undecodable(data: bytes) -> None:
    with pytest.raises(UndecodableEvent) as info:
        decode_envelope(data)
    assert info.value.code == "undecodable"


def test_envelope_with_extra_field_is_undecodable() -> None:
    data = json.loads(encode(envelope_of(SAMPLES[0])))
    data["surprise"] = True
    with pytest.raises(UndecodableEvent) as info:
        decode_envelope(json.dumps(data).encode())
    assert info.value.code == "undecodable"


def test_unknown_event_type() -> None:
    envelope = envelope_of(PeriodClosed(period="2026-02"), event_type="SalaryDoubled")
    with pytest.raises(UndecodableEvent) as info:
        decode_payload(decode_envelope(encode(envelope)))
    assert info.value.code == "unknown_type"
    assert "SalaryDoubled" in str(info.value)


def test_newer_schema_version_is_refused() -> None:
    envelope = envelope_of(PeriodClosed(period="2026-02"), schema_version=2)
    with pytest.raises(UndecodableEvent) as info:
        decode_payload(decode_envelope(encode(envelope)))
    assert info.value.code == "unknown_version"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"nip": "1" * 17}, "nip"),
        ({"nip": "19900101201503200X"}, "nip"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"description": ""}, "description"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_payload_breaking_the_contract(changes: dict[str, Any], field: str) -> None:
    envelope = envelope_of(SAMPLES[3])
    with pytest.raises(UndecodableEvent) as info:
        decode_payload(decode_envelope(wire(envelope, **changes)))
    assert info.value.code == "contract_violation"
    assert field in str(info.value)


def test_missing_payload_field_is_a_contract_violation() -> None:
    data = json.loads(encode(envelope_of(SAMPLES[3])))
    del data["payload"]["work_date"]
    with pytest.raises(UndecodableEvent) as info:
        decode_payload(decode_envelope(json.dumps(data).encode()))
    assert info.value.code == "contract_violation"
    assert "work_date" in str(info.value)


def test_review_with_unknown_kind_is_a_contract_violation() -> None:
    envelope = envelope_of(SAMPLES[5])
    review = {**envelope.payload["review"], "kind": "gossip"}
    with pytest.raises(UndecodableEvent) as info:
        decode_payload(decode_envelope(wire(envelope, review=review)))
    assert info.value.code == "contract_violation"


def test_v1_event_is_read_by_v2_code_through_an_upcaster(monkeypatch: pytest.MonkeyPatch) -> None:
    """v2 of ActivityReported (pretend) renamed nothing but requires 'output'; v1 had it optional.

    The upcaster fills the new requirement from v1 data; old events stay readable.
    """
    v1 = envelope_of(ActivityReported(activity_id=ACTIVITY_ID, nip=NIP,
                                      work_date=date(2026, 3, 2), minutes=30,
                                      description="Rapat koordinasi", source="app"))
    old_bytes = encode(v1)
    assert json.loads(old_bytes)["schema_version"] == 1

    def v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "output": payload.get("output") or "(none reported)"}

    monkeypatch.setattr(ActivityReported, "schema_version", 2)
    monkeypatch.setitem(codec.UPCASTERS, ("ActivityReported", 1), v1_to_v2)

    event = decode_payload(decode_envelope(old_bytes))
    assert isinstance(event, ActivityReported)
    assert event.output == "(none reported)"
    assert event.minutes == 30

    # a v2 event passes through without upcasting
    v2 = envelope_of(event, schema_version=2)
    assert decode_payload(decode_envelope(encode(v2))) == event


def test_missing_upcaster_is_unknown_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PeriodClosed, "schema_version", 3)
    monkeypatch.setitem(codec.UPCASTERS, ("PeriodClosed", 1), lambda p: p)
    envelope = envelope_of(PeriodClosed(period="2026-02"), schema_version=1)
    with pytest.raises(UndecodableEvent) as info:
        decode_payload(envelope)
    assert info.value.code == "unknown_version"
    assert "v2" in str(info.value)


def test_monkeypatching_was_undone() -> None:
    assert ActivityReported.schema_version == 1
    assert PeriodClosed.schema_version == 1
    assert codec.UPCASTERS == {}


def test_canonical_bytes_are_stable_under_key_order() -> None:
    envelope = envelope_of(SAMPLES[6])
    data = envelope.model_dump(mode="json")
    reordered = {k: data[k] for k in reversed(list(data))}
    reordered["payload"] = dict(reversed(list(data["payload"].items())))
    other = EventEnvelope.model_validate_json(json.dumps(reordered))
    assert json.dumps(reordered) != json.dumps(data)
    assert canonical_bytes(other) == canonical_bytes(envelope)
    # sorted keys at every level, so the hash input does not depend on construction order
    assert canonical_bytes(envelope) == orjson.dumps(orjson.loads(canonical_bytes(envelope)),
                                                     option=orjson.OPT_SORT_KEYS)
    assert canonical_bytes(decode_envelope(encode(envelope))) == canonical_bytes(envelope)


def test_canonical_bytes_change_with_content() -> None:
    envelope = envelope_of(SAMPLES[0])
    assert canonical_bytes(envelope) != canonical_bytes(envelope.model_copy(update={"actor": "x"}))


def header_of(envelope: EventEnvelope) -> dict[str, Any]:
    return envelope.model_dump(exclude={"payload"})


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_one_pass_decoding_equals_the_two_steps(event: Event) -> None:
    envelope = envelope_of(event)
    decoded = codec.decode_current(encode(envelope))
    assert decoded is not None
    header, payload = decoded
    assert isinstance(header, EventHeader)
    assert header.model_dump(exclude={"payload"}) == header_of(envelope)
    assert payload == decode_payload(envelope) and type(payload) is type(event)


@pytest.mark.parametrize("data", [
    b"\x00\xff garbage", b"", b"{", b"[]",
    encode(envelope_of(PeriodClosed(period="2026-02"), event_type="SalaryDoubled")),
    encode(envelope_of(PeriodClosed(period="2026-02"), schema_version=2)),
    wire(envelope_of(SAMPLES[3]), minutes=0),
    wire(envelope_of(SAMPLES[3]), unexpected=1),
    wire(envelope_of(SAMPLES[3]), nip="1" * 17),
], ids=["garbage", "empty", "truncated", "array", "unknown type", "newer version",
        "minutes 0", "extra field", "short nip"])
def test_one_pass_decoding_leaves_what_does_not_validate_to_the_two_steps(data: bytes) -> None:
    assert codec.decode_current(data) is None


def test_one_pass_decoding_rejects_what_the_two_steps_reject() -> None:
    data = json.loads(encode(envelope_of(SAMPLES[0])))
    data["surprise"] = True
    assert codec.decode_current(json.dumps(data).encode()) is None


def test_an_older_version_is_left_to_the_upcasters(monkeypatch: pytest.MonkeyPatch) -> None:
    old_bytes = encode(envelope_of(PeriodClosed(period="2026-02")))
    assert codec.decode_current(old_bytes) is not None
    monkeypatch.setattr(PeriodClosed, "schema_version", 2)
    assert codec.decode_current(old_bytes) is None
