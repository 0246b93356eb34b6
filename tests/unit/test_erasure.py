"""Erasure through the service layer on the in-memory adapters: the request waits for the
retention, the eraser destroys the key first and then records it, once; refusals record
nothing."""

import os
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.intake.adapters.memory import InMemoryStore
from services.intake.domain import commands as c
from services.intake.domain.erasure import ErasureFacts, complete_erasure, due, request_erasure
from services.intake.domain.errors import Rejected
from services.intake.service_layer.eraser import Eraser
from services.intake.service_layer.execution import run_group
from shared.auth import Principal
from shared.clock import FixedClock
from shared.events import ErasureRequested, PersonalDataErased
from shared.keystore import InMemoryKeyStore, MasterKey
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
ADMIN = Principal("admin", "admin")
NIP = "199001012015032001"
REQUESTED = date(2026, 3, 2)
ASK = c.RequestErasure(nip=NIP, legal_basis="UU PDP art. 8", reference="ND-17/2026")


async def one(store: InMemoryStore, principal: Principal, command: Any,
              today: date = REQUESTED) -> Any:
    ((answer,),) = await run_group(store.unit, [(principal, [command])], today)
    return answer


@pytest.fixture
async def store() -> InMemoryStore:
    store = InMemoryStore()
    for command in (POLICY, c.RegisterEmployee(nip=NIP, name="Siti", unit="U", position="Staf")):
        assert not isinstance(await one(store, ADMIN, command), Rejected)
    return store


def eraser(store: InMemoryStore, keys: InMemoryKeyStore, today: date) -> Eraser:
    clock = FixedClock(_noon(today))

    async def execute(principal: Principal, commands: list[Any]) -> list[Any]:
        (answers,) = await run_group(store.unit, [(principal, commands)], clock.today())
        return answers

    return Eraser(store.committed_facts, execute, keys, clock, 60)


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo("Asia/Jakarta"))


async def test_a_request_waits_for_the_policys_retention(store: InMemoryStore) -> None:
    answer = await one(store, ADMIN, ASK)
    due = REQUESTED + timedelta(days=POLICY.personal_data_retention_days)
    assert answer["status"] == "requested" and answer["due_on"] == due.isoformat()
    assert POLICY.personal_data_retention_days == 3650
    requested = store.events[-1]
    assert requested.event_type == "ErasureRequested"
    assert requested.stream_id == f"erasure-{NIP}" and requested.subject_nip == NIP
    keys = InMemoryKeyStore(MasterKey(os.urandom(32)))
    await keys.data_key_for(NIP)
    assert await eraser(store, keys, due - timedelta(days=1)).erase_due() == []
    assert await keys.key_of(NIP) is not None


async def test_on_the_due_day_the_key_goes_and_the_erasure_is_recorded_once(
        store: InMemoryStore) -> None:
    await one(store, ADMIN, ASK)
    keys = InMemoryKeyStore(MasterKey(os.urandom(32)))
    await keys.data_key_for(NIP)
    due = REQUESTED + timedelta(days=POLICY.personal_data_retention_days)
    assert await eraser(store, keys, due).erase_due() == [NIP]
    assert await keys.is_erased(NIP)
    erased = store.events[-1]
    assert erased.event_type == "PersonalDataErased"
    assert erased.payload == {"nip": NIP, "reference": "ND-17/2026",
                              "erased_on": due.isoformat()}
    assert await eraser(store, keys, due + timedelta(days=1)).erase_due() == []
    assert [e.event_type for e in store.events].count("PersonalDataErased") == 1


async def test_refusals_record_nothing(store: InMemoryStore) -> None:
    before = len(store.events)
    refused = await one(store, Principal(NIP, "employee"), ASK)
    assert isinstance(refused, Rejected) and refused.code == "role_not_allowed"
    stranger = ASK.model_copy(update={"nip": "197001011995031001"})
    assert (await one(store, ADMIN, stranger)).code == "unknown_employee"
    early = await one(store, ADMIN, c.CompleteErasure(nip=NIP))
    assert early.code == "no_erasure_request"
    assert len(store.events) == before
    await one(store, ADMIN, ASK)
    assert (await one(store, ADMIN, ASK)).code == "erasure_already_requested"
    assert (await one(store, ADMIN, c.CompleteErasure(nip=NIP))).code == "retention_not_passed"
    assert len(store.events) == before + 1


# The decisions themselves, pure: every field of the events, every refusal word for word.

STRANGER = "197001011995031001"
DUE = date(2036, 2, 28)
PENDING = ErasureFacts(NIP, "ND-17/2026", DUE, None)


def refused(call: Any, *args: Any) -> tuple[str, str, str | None, int]:
    with pytest.raises(Rejected) as info:
        call(*args)
    return info.value.code, info.value.message, info.value.field, info.value.status


def test_a_request_carries_its_basis_reference_day_and_due_day() -> None:
    assert request_erasure(ASK, ADMIN, True, None, POLICY, REQUESTED) == ErasureRequested(
        nip=NIP, legal_basis="UU PDP art. 8", reference="ND-17/2026", requested_on=REQUESTED,
        due_on=REQUESTED + timedelta(days=3650))
    short = POLICY.model_copy(update={"personal_data_retention_days": 1})
    assert request_erasure(ASK, ADMIN, True, None, short, REQUESTED).due_on == date(2026, 3, 3)


def test_request_refusals_word_for_word() -> None:
    stranger = ASK.model_copy(update={"nip": STRANGER})
    assert refused(request_erasure, stranger, ADMIN, False, None, POLICY, REQUESTED) == (
        "unknown_employee", f"nip: no employee {STRANGER}", "nip", 404)
    assert refused(request_erasure, ASK, ADMIN, True, PENDING, POLICY, REQUESTED) == (
        "erasure_already_requested",
        "nip: erasure already requested (ND-17/2026), due 2036-02-28", "nip", 409)
    assert refused(request_erasure, ASK, Principal(NIP, "employee"), True, None, POLICY,
                   REQUESTED)[0] == "role_not_allowed"


def test_completion_on_and_after_the_due_day_records_the_reference_and_the_day() -> None:
    done = c.CompleteErasure(nip=NIP)
    assert complete_erasure(done, ADMIN, PENDING, DUE) == PersonalDataErased(
        nip=NIP, reference="ND-17/2026", erased_on=DUE)
    later = DUE + timedelta(days=1)
    assert complete_erasure(done, ADMIN, PENDING, later).erased_on == later


def test_completion_refusals_word_for_word() -> None:
    done = c.CompleteErasure(nip=NIP)
    assert refused(complete_erasure, done, ADMIN, None, DUE) == (
        "no_erasure_request", f"nip: no erasure requested for {NIP}", "nip", 404)
    erased = ErasureFacts(NIP, "ND-17/2026", DUE, date(2036, 3, 1))
    assert refused(complete_erasure, done, ADMIN, erased, date(2036, 3, 2)) == (
        "already_erased", "nip: erased on 2036-03-01", "nip", 409)
    assert refused(complete_erasure, done, ADMIN, PENDING, DUE - timedelta(days=1)) == (
        "retention_not_passed", "nip: the retention keeps the data until 2036-02-28", "nip",
        409)
    assert refused(complete_erasure, done, Principal(NIP, "employee"), PENDING,
                   DUE)[0] == "role_not_allowed"


def test_due_are_the_pending_requests_whose_day_has_come() -> None:
    other = ErasureFacts(STRANGER, "ND-18/2026", DUE + timedelta(days=1), None)
    erased = ErasureFacts("198505052010011002", "ND-1/2025", DUE, DUE)
    assert due([PENDING, other, erased], DUE - timedelta(days=1)) == []
    assert due([PENDING, other, erased], DUE) == [PENDING]
    assert due([PENDING, other, erased], DUE + timedelta(days=1)) == [PENDING, other]
