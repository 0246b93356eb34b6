"""A transfer through the service layer on the in-memory adapters: the employee's stream,
the reporting line from day D, and the 360 relations of the month it splits."""

from datetime import date
from typing import Any

import pytest

from services.intake.adapters.memory import InMemoryStore
from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.service_layer.execution import run_group
from shared.auth import Principal
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
ADMIN = Principal("admin", "admin")
OLD, NEW, MOVER, STRANGER = ("196804111993031009", "197512312000121003",
                             "199001012015032001", "198505052010011002")
D = date(2026, 3, 16)
SCORES = {i.name: 80 for i in POLICY.indicators_for(structural=False)}


async def one(store: InMemoryStore, principal: Principal, command: Any,
              today: date = date(2026, 3, 31)) -> Any:
    ((answer,),) = await run_group(store.unit, [(principal, [command])], today)
    return answer


@pytest.fixture
async def store() -> InMemoryStore:
    store = InMemoryStore()
    for command in (POLICY, *(c.RegisterEmployee(nip=n, name="Pegawai", unit="SAMSAT",
                                                 position="Staf") for n in
                              (OLD, NEW, MOVER, STRANGER)),
                    c.ChangeReportingLine(nip=MOVER, superior_nip=OLD,
                                          effective_from=date(2026, 1, 1)),
                    c.TransferEmployee(nip=MOVER, unit="BAPENDA", superior_nip=NEW,
                                       effective_from=D)):
        assert not isinstance(await one(store, ADMIN, command, date(2026, 3, 10)), Rejected)
    return store


async def test_the_transfer_is_a_line_from_d(store: InMemoryStore) -> None:
    event = store.events[-1]
    assert (event.event_type, event.stream_id, event.stream_version, event.payload) == (
        "EmployeeTransferred", f"employee-{MOVER}", 3,
        {"nip": MOVER, "unit": "BAPENDA", "superior_nip": NEW, "effective_from": "2026-03-16"})
    lines = store.tables.reporting_lines
    assert (lines[(MOVER, date(2026, 1, 1))], lines[(MOVER, D)]) == (OLD, NEW)


@pytest.mark.parametrize(("rater", "relation"), [(OLD, "superior"), (NEW, "superior")])
async def test_both_superiors_rate_the_split_month(store: InMemoryStore, rater: str,
                                                   relation: str) -> None:
    review = c.SubmitBehaviourReview(period="2026-03", ratee_nip=MOVER, scores=SCORES)
    answer = await one(store, Principal(rater, "superior"), review)
    assert answer["relation"] == relation


async def test_a_stranger_stays_unrelated(store: InMemoryStore) -> None:
    review = c.SubmitBehaviourReview(period="2026-03", ratee_nip=MOVER, scores=SCORES)
    refused = await one(store, Principal(STRANGER, "superior"), review)
    assert isinstance(refused, Rejected) and refused.code == "not_related"


async def test_the_old_superior_does_not_rate_the_next_month(store: InMemoryStore) -> None:
    review = c.SubmitBehaviourReview(period="2026-04", ratee_nip=MOVER, scores=SCORES)
    refused = await one(store, Principal(OLD, "superior"), review, date(2026, 4, 30))
    assert isinstance(refused, Rejected) and refused.code == "not_related"
