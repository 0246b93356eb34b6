"""The hash chain against fixed test vectors: the canonical bytes of three events (the
first linked to the genesis hash) and their chained sha256 digests, written out literally.
The digests were computed outside this code base (``cat prev_hash bytes | sha256sum``);
an auditor's own tool must reach the same ones."""

import uuid
from datetime import UTC, date, datetime

import pytest

from shared.chain import GENESIS_HASH, chain_hash, chain_hash_of
from shared.codec import canonical_bytes
from shared.envelope import EventEnvelope
from shared.events import (
    ActivityReported,
    EmployeeRegistered,
    Event,
    ReviewSubmitted,
    ValidationReview,
)

NIP, SUPERIOR = "199001012015032001", "196804111993031009"
ACTIVITY = uuid.UUID("8d5c3f4e-0d0b-4c55-9a39-5c1d3f0a2b11")

CANONICAL = [
    # 1: EmployeeRegistered, linked to the genesis hash (32 zero bytes)
    b'{"actor":"admin","causation_id":null,"correlation_id":"00000000-0000-0000-0000-00000'
    b'0000065","event_id":"00000000-0000-0000-0000-000000000001","event_type":"EmployeeReg'
    b'istered","occurred_at":"2026-03-02T08:30:01Z","payload":{"employment_type":"PNS","jo'
    b'b_class":7,"name":"Siti","nip":"199001012015032001","position":"Analis","structural"'
    b':false,"unit":"BKPSDM"},"position":1,"recorded_at":"2026-03-02T08:30:01Z","schema_ve'
    b'rsion":1,"source":"admin","stream_id":"employee-199001012015032001","stream_version"'
    b':1,"subject_nip":"199001012015032001"}',
    # 2: ActivityReported
    b'{"actor":"199001012015032001","causation_id":null,"correlation_id":"00000000-0000-00'
    b'00-0000-000000000066","event_id":"00000000-0000-0000-0000-000000000002","event_type"'
    b':"ActivityReported","occurred_at":"2026-03-02T08:30:02Z","payload":{"activity_id":"8'
    b'd5c3f4e-0d0b-4c55-9a39-5c1d3f0a2b11","description":"Menyusun laporan","external_ref"'
    b':null,"minutes":90,"nip":"199001012015032001","output":null,"source":"app","work_dat'
    b'e":"2026-03-02"},"position":2,"recorded_at":"2026-03-02T08:30:02Z","schema_version":'
    b'1,"source":"app","stream_id":"activity-8d5c3f4e-0d0b-4c55-9a39-5c1d3f0a2b11","stream'
    b'_version":1,"subject_nip":"199001012015032001"}',
    # 3: ReviewSubmitted (a validation)
    b'{"actor":"196804111993031009","causation_id":null,"correlation_id":"00000000-0000-00'
    b'00-0000-000000000067","event_id":"00000000-0000-0000-0000-000000000003","event_type"'
    b':"ReviewSubmitted","occurred_at":"2026-03-02T08:30:03Z","payload":{"review":{"activi'
    b'ty_id":"8d5c3f4e-0d0b-4c55-9a39-5c1d3f0a2b11","decision":"approved","kind":"validati'
    b'on","note":null,"owner_nip":"199001012015032001","reviewer_nip":"196804111993031009"'
    b'}},"position":3,"recorded_at":"2026-03-02T08:30:03Z","schema_version":1,"source":"ap'
    b'p","stream_id":"activity-8d5c3f4e-0d0b-4c55-9a39-5c1d3f0a2b11","stream_version":2,"s'
    b'ubject_nip":"199001012015032001"}',
]
DIGESTS = [
    "2fc0820c9db20588c1a3575b1a11d1ee026b84adf661151c76f50df24025a687",
    "5f478028c20c2248eefd32442f459e7227402032aa972bcc234e29f3e1c8e65b",
    "d21ea9ba02f40c931060247302af73dff30c04ef56f0ac5e67d00b621f7fff5a",
]


def envelope(position: int, stream: str, actor: str, source: str, event: Event) -> EventEnvelope:
    at = datetime(2026, 3, 2, 8, 30, position, tzinfo=UTC)
    return EventEnvelope(
        event_id=uuid.UUID(int=position), event_type=event.event_type, schema_version=1,
        stream_id=stream, stream_version=1 if position < 3 else 2, position=position,
        subject_nip=NIP, occurred_at=at, recorded_at=at, actor=actor, source=source,
        correlation_id=uuid.UUID(int=100 + position), causation_id=None,
        payload=event.model_dump(mode="json"))


EVENTS = [
    envelope(1, f"employee-{NIP}", "admin", "admin", EmployeeRegistered(
        nip=NIP, name="Siti", unit="BKPSDM", position="Analis", structural=False,
        employment_type="PNS", job_class=7)),
    envelope(2, f"activity-{ACTIVITY}", NIP, "app", ActivityReported(
        activity_id=ACTIVITY, nip=NIP, work_date=date(2026, 3, 2), minutes=90,
        description="Menyusun laporan", source="app")),
    envelope(3, f"activity-{ACTIVITY}", SUPERIOR, "app", ReviewSubmitted(
        review=ValidationReview(activity_id=ACTIVITY, owner_nip=NIP, reviewer_nip=SUPERIOR,
                                decision="approved"))),
]


def test_genesis_is_32_zero_bytes() -> None:
    assert GENESIS_HASH == b"\x00" * 32


@pytest.mark.parametrize("index", range(3))
def test_canonical_bytes_are_the_vector(index: int) -> None:
    assert canonical_bytes(EVENTS[index]) == CANONICAL[index]


def test_the_chain_reaches_the_vector_digests() -> None:
    prev = GENESIS_HASH
    for event, expected in zip(EVENTS, DIGESTS, strict=True):
        digest = chain_hash(prev, event)
        assert digest.hex() == expected
        # the event store hashes the dumped document: the same digest
        assert chain_hash_of(prev, event.model_dump(mode="json")) == digest
        prev = digest


def test_one_changed_field_or_a_dropped_event_breaks_the_chain() -> None:
    changed = EVENTS[1].model_copy(update={"payload": {**EVENTS[1].payload, "minutes": 91}})
    first = bytes.fromhex(DIGESTS[0])
    assert chain_hash(first, changed).hex() != DIGESTS[1]
    # event 3 linked straight to event 1 (event 2 removed)
    assert chain_hash(first, EVENTS[2]).hex() != DIGESTS[2]
