"""Finance data and payment orders through the service layer on the in-memory adapters:
which stream each lands on, its version, and what a refusal leaves (nothing)."""

from datetime import date
from typing import Any

import pytest

from services.intake.adapters.memory import InMemoryStore
from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.service_layer.execution import run_group
from shared.auth import Principal
from shared.policy import default_policy_path, load_policy
from shared.topics import BROADCAST_KEY

pytestmark = pytest.mark.unit

ADMIN, TREASURER = Principal("admin", "admin"), Principal("bendahara", "treasurer")
NIP = "199001012015032001"
TODAY = date(2026, 4, 13)  # March locked on the 10th, April open


async def one(store: InMemoryStore, principal: Principal, command: Any) -> Any:
    ((answer,),) = await run_group(store.unit, [(principal, [command])], TODAY)
    return answer


@pytest.fixture
async def store() -> InMemoryStore:
    store = InMemoryStore()
    for command in (load_policy(default_policy_path()),
                    c.RegisterEmployee(nip=NIP, name="Siti", unit="BKPSDM", position="Analis")):
        assert not isinstance(await one(store, ADMIN, command), Rejected)
    return store


def finance(npwp: str = "3201014101900001") -> c.RecordFinanceData:
    return c.RecordFinanceData(nip=NIP, npwp=npwp, bank_name="Bank Jatim",
                               bank_account="0011223344")


def payment(period: str = "2026-03", number: str = "1/SP2D") -> c.RecordPayment:
    return c.RecordPayment(period=period, unit="BKPSDM", sp2d_number=number,
                           sp2d_date=TODAY)


async def test_finance_data_goes_on_the_employee_s_stream(store: InMemoryStore) -> None:
    answer = await one(store, ADMIN, finance())
    assert answer["nip"] == NIP
    await one(store, ADMIN, finance("0123456789012345"))  # a correction
    assert [(e.stream_id, e.stream_version, e.event_type, e.subject_nip)
            for e in store.events[-3:]] == [
        (f"employee-{NIP}", 1, "EmployeeRegistered", NIP),
        (f"employee-{NIP}", 2, "FinanceDataRecorded", NIP),
        (f"employee-{NIP}", 3, "FinanceDataRecorded", NIP)]
    registered = await one(store, ADMIN, c.RegisterEmployee(
        nip=NIP, name="Siti A.", unit="BKPSDM", position="Analis"))
    assert not isinstance(registered, Rejected)
    assert store.events[-1].stream_version == 4


async def test_refused_finance_data_leaves_nothing(store: InMemoryStore) -> None:
    before = len(store.events)
    treasurer = await one(store, TREASURER, finance())
    invalid = await one(store, ADMIN, finance("1001014101900001"))
    assert (treasurer.code, invalid.code) == ("role_not_allowed", "invalid_npwp")
    assert len(store.events) == before


async def test_payments_go_on_the_unit_s_month_stream_for_everyone(store: InMemoryStore) -> None:
    first = await one(store, TREASURER, payment())
    assert (first["period"], first["unit"]) == ("2026-03", "BKPSDM")
    await one(store, TREASURER, payment(number="2/SP2D"))
    assert [(e.stream_id, e.stream_version, e.subject_nip) for e in store.events[-2:]] == [
        ("payment-2026-03-BKPSDM", 1, BROADCAST_KEY), ("payment-2026-03-BKPSDM", 2,
                                                       BROADCAST_KEY)]


async def test_a_payment_needs_a_locked_month_and_the_treasurer(store: InMemoryStore) -> None:
    before = len(store.events)
    assert (await one(store, TREASURER, payment("2026-04"))).code == "period_not_closed"
    assert (await one(store, ADMIN, payment())).code == "role_not_allowed"
    assert len(store.events) == before
