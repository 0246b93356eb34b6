"""Acting superiors through the service layer on the in-memory adapters: the appointment's
stream and row, and decisions and 360 reviews made in the head's place (or refused)."""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from services.intake.adapters.memory import InMemoryStore
from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.service_layer.execution import run_group
from shared.auth import Principal
from shared.authority import ActingAppointment
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
ADMIN = Principal("admin", "admin")
HEAD, PLH, STAFF = "196804111993031009", "198505052010011002", "199001012015032001"
AS_PLH, AS_STAFF = Principal(PLH, "superior"), Principal(STAFF, "employee")
TODAY, FIRST, LAST = date(2026, 3, 31), date(2026, 3, 9), date(2026, 3, 13)
SCORES = {i.name: 80 for i in POLICY.indicators_for(structural=False)}


async def one(store: InMemoryStore, principal: Principal, command: Any,
              today: date = TODAY) -> Any:
    ((answer,),) = await run_group(store.unit, [(principal, [command])], today)
    return answer


def appoint(valid_from: date = FIRST, valid_to: date = LAST) -> c.AppointActingSuperior:
    return c.AppointActingSuperior(head_nip=HEAD, acting_nip=PLH, kind="Plt",
                                   valid_from=valid_from, valid_to=valid_to)


@pytest.fixture
async def store() -> InMemoryStore:
    store = InMemoryStore()
    for command in (POLICY, *(c.RegisterEmployee(nip=n, name="Pegawai", unit="U",
                                                 position="Staf", structural=n == HEAD)
                              for n in (HEAD, PLH, STAFF)),
                    *(c.ChangeReportingLine(nip=n, superior_nip=HEAD,
                                            effective_from=date(2026, 1, 1))
                      for n in (PLH, STAFF))):
        assert not isinstance(await one(store, ADMIN, command), Rejected)
    return store


async def reported(store: InMemoryStore, day: date) -> uuid.UUID:
    cmd = c.ReportActivity(activity_id=uuid.uuid4(), nip=STAFF, work_date=day, minutes=60,
                           description="Pelayanan")
    assert (await one(store, AS_STAFF, cmd, today=day))["status"] == "accepted"
    return cmd.activity_id


async def test_an_appointment_is_recorded_on_the_heads_stream(store: InMemoryStore) -> None:
    answer = await one(store, ADMIN, appoint())
    assert (answer["head_nip"], answer["acting_nip"]) == (HEAD, PLH)
    second = await one(store, ADMIN, appoint(LAST + timedelta(days=1), LAST + timedelta(days=3)))
    assert not isinstance(second, Rejected)
    assert [(e.stream_id, e.stream_version, e.event_type, e.subject_nip)
            for e in store.events[-2:]] == [
        (f"acting-{HEAD}", 1, "ActingSuperiorAppointed", HEAD),
        (f"acting-{HEAD}", 2, "ActingSuperiorAppointed", HEAD)]
    assert store.tables.acting[0] == ActingAppointment(HEAD, PLH, "Plt", FIRST, LAST)


async def test_an_overlap_records_nothing(store: InMemoryStore) -> None:
    await one(store, ADMIN, appoint())
    before = len(store.events)
    refused = await one(store, ADMIN, appoint(LAST, LAST + timedelta(days=2)))
    assert isinstance(refused, Rejected) and (refused.code, refused.status) == (
        "acting_overlap", 409)
    assert len(store.events) == before and len(store.tables.acting) == 1


async def test_a_superior_token_without_admin_is_refused_first(store: InMemoryStore) -> None:
    refused = await one(store, AS_PLH, appoint(LAST, FIRST))
    assert isinstance(refused, Rejected) and refused.code == "role_not_allowed"


async def test_the_acting_official_decides_on_the_days_of_the_range(
        store: InMemoryStore) -> None:
    await one(store, ADMIN, appoint())
    inside, after = await reported(store, LAST), await reported(store, LAST + timedelta(days=1))
    decided = await one(store, AS_PLH, c.DecideActivity(activity_id=inside, decision="approved"))
    assert (decided["status"], decided["acting_for"]) == ("approved", HEAD)
    assert store.events[-1].payload["review"]["acting_for"] == HEAD
    refused = await one(store, AS_PLH, c.DecideActivity(activity_id=after, decision="approved"))
    assert isinstance(refused, Rejected) and (refused.code, refused.status) == (
        "not_direct_superior", 403)
    by_head = await one(store, Principal(HEAD, "superior"),
                        c.DecideActivity(activity_id=after, decision="approved"))
    assert "acting_for" not in by_head
    assert "acting_for" not in store.events[-1].payload["review"]


@pytest.mark.parametrize(("valid_to", "relation", "acting_for"), [
    (TODAY, "superior", HEAD), (TODAY - timedelta(days=1), "peer", None)])
async def test_a_360_on_the_months_line_date_is_rated_in_the_heads_place(
        store: InMemoryStore, valid_to: date, relation: str, acting_for: str | None) -> None:
    """The month's line date is its last day (TODAY): a range ending the day before leaves
    the acting official their own relation, a peer."""
    await one(store, ADMIN, appoint(FIRST, valid_to))
    review = c.SubmitBehaviourReview(period="2026-03", ratee_nip=STAFF, scores=SCORES)
    answer = await one(store, AS_PLH, review)
    assert (answer["relation"], answer.get("acting_for")) == (relation, acting_for)
    assert store.events[-1].payload["review"].get("acting_for") == acting_for
