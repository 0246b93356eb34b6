"""Objections through the service layer on the in-memory adapters: the decider derived from
the reporting lines on the month's last day, the stream, the write model, a decision by an
acting official, and refusals that record nothing."""

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.intake.adapters.memory import InMemoryStore
from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.domain.facts import ObjectionFacts
from services.intake.service_layer.execution import run_group
from shared.auth import Principal
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
ADMIN = Principal("admin", "admin")
STAFF, OLD_HEAD, HEAD = "199001012015032001", "196804111993031009", "197512312000121003"
BOSS_A, BOSS_B, PLH = "197001011995031001", "196505051990031002", "198505052010011002"
FEBRUARY = "2026-02"
FILE = c.FileObjection(period=FEBRUARY, reasons="Kegiatan tanggal 3 ditolak keliru")


async def one(store: InMemoryStore, principal: Principal, command: Any,
              today: date = date(2026, 3, 12)) -> Any:
    ((answer,),) = await run_group(store.unit, [(principal, [command])], today)
    return answer


def line(nip: str, superior: str, since: date) -> c.ChangeReportingLine:
    return c.ChangeReportingLine(nip=nip, superior_nip=superior, effective_from=since)


@pytest.fixture
async def store() -> InMemoryStore:
    """STAFF moved from OLD_HEAD to HEAD on 15 February; HEAD's superior was BOSS_A through
    February and is BOSS_B from 1 March. February's result was rated by HEAD (the line on
    28 February), so BOSS_A decides, though BOSS_B is HEAD's superior when STAFF objects."""
    store = InMemoryStore()
    people = (STAFF, OLD_HEAD, HEAD, BOSS_A, BOSS_B, PLH)
    for command in (POLICY, *(c.RegisterEmployee(nip=n, name="Pegawai", unit="U",
                                                 position="Staf") for n in people),
                    line(STAFF, OLD_HEAD, date(2026, 1, 1)),
                    line(STAFF, HEAD, date(2026, 2, 15)),
                    line(HEAD, BOSS_A, date(2026, 1, 1)),
                    line(HEAD, BOSS_B, date(2026, 3, 1)),
                    c.ClosePeriod(period=FEBRUARY)):
        assert not isinstance(await one(store, ADMIN, command, date(2026, 3, 2)), Rejected)
    return store


async def test_the_rater_and_decider_on_the_months_last_day(store: InMemoryStore) -> None:
    answer = await one(store, Principal(STAFF, "employee"), FILE)
    assert (answer["status"], answer["decider_nip"], answer["deadline"]) == (
        "under_objection", BOSS_A, "2026-03-24")
    event = store.events[-1]
    assert (event.stream_id, event.stream_version, event.event_type, event.subject_nip) == (
        f"objection-{FEBRUARY}-{STAFF}", 1, "ObjectionFiled", STAFF)
    assert (event.payload["rater_nip"], event.payload["decider_nip"]) == (HEAD, BOSS_A)
    assert store.tables.objections[(STAFF, FEBRUARY)] == ObjectionFacts(
        STAFF, FEBRUARY, BOSS_A, decided=False)


async def test_a_second_objection_records_nothing(store: InMemoryStore) -> None:
    await one(store, Principal(STAFF, "employee"), FILE)
    before = len(store.events)
    refused = await one(store, Principal(STAFF, "employee"), FILE)
    assert isinstance(refused, Rejected) and refused.code == "already_objected"
    assert len(store.events) == before


async def test_an_open_period_is_not_final(store: InMemoryStore) -> None:
    refused = await one(store, Principal(STAFF, "employee"),
                        c.FileObjection(period="2026-03", reasons="Terlalu rendah"))
    assert isinstance(refused, Rejected) and refused.code == "result_not_final"


async def test_nobody_above_the_rater_means_no_decider(store: InMemoryStore) -> None:
    refused = await one(store, Principal(HEAD, "superior"), FILE)  # BOSS_A has no superior
    assert isinstance(refused, Rejected) and (refused.code, refused.status) == (
        "no_decider", 422)


async def test_the_decision_closes_the_stream(store: InMemoryStore) -> None:
    await one(store, Principal(STAFF, "employee"), FILE)
    uphold = c.DecideObjection(nip=STAFF, period=FEBRUARY, outcome="upheld",
                               reason="Kegiatan terbukti", approved_minutes=5400)
    refused = await one(store, Principal(BOSS_B, "superior"), uphold)
    assert isinstance(refused, Rejected) and refused.code == "not_decider"
    answer = await one(store, Principal(BOSS_A, "superior"), uphold, date(2026, 3, 20))
    assert answer["status"] == "upheld" and "acting_for" not in answer
    event = store.events[-1]
    assert (event.stream_version, event.event_type, event.payload["decided_on"],
            event.payload["approved_minutes"]) == (2, "ObjectionDecided", "2026-03-20", 5400)
    assert store.tables.objections[(STAFF, FEBRUARY)].decided
    again = await one(store, Principal(BOSS_A, "superior"), uphold)
    assert isinstance(again, Rejected) and again.code == "objection_decided"


async def test_an_acting_official_decides_in_the_deciders_place(store: InMemoryStore) -> None:
    await one(store, Principal(STAFF, "employee"), FILE)
    appoint = c.AppointActingSuperior(head_nip=BOSS_A, acting_nip=PLH, kind="Plh",
                                      valid_from=date(2026, 3, 16), valid_to=date(2026, 3, 20))
    assert not isinstance(await one(store, ADMIN, appoint), Rejected)
    reject = c.DecideObjection(nip=STAFF, period=FEBRUARY, outcome="rejected",
                               reason="Tidak terbukti")
    answer = await one(store, Principal(PLH, "superior"), reject, date(2026, 3, 16))
    assert (answer["status"], answer["acting_for"]) == ("rejected", BOSS_A)
    assert (store.events[-1].payload["decided_by"],
            store.events[-1].payload["acting_for"]) == (PLH, BOSS_A)


async def test_the_window_counts_from_the_close_day_not_an_early_close(
        store: InMemoryStore) -> None:
    """February was closed early on 2 March; the window still runs to 10 + 14 March."""
    assert store.tables.closes[FEBRUARY] <= datetime.now(UTC)
    late = await one(store, Principal(STAFF, "employee"), FILE, date(2026, 3, 25))
    assert isinstance(late, Rejected) and late.code == "objection_window_expired"
    in_time = await one(store, Principal(STAFF, "employee"), FILE, date(2026, 3, 24))
    assert in_time["deadline"] == "2026-03-24"
