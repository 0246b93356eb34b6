"""PermenPANRB 6/2022 end to end on the real stack: an agency policy puts the units of
BAPENDA on the 2022 regime while BKPSDM stays on 2013; SKPs cascade, realisation is reported
and validated, the rater confirms one month and overrides another, through intake's
handlers on PostgreSQL; the real relay puts the store on Kafka and the live projection is
applied from there. The eligibility rows equal figures computed by hand (below), the SKP and
cascade reads answer over HTTP, and a replay from the store into PostgreSQL and SQLite
gives the live checksums, the new tables included.

By hand, March 2026 (policy erk-2022-bapenda: thresholds 100/110 on results, 76/91 on
behaviour, indicators capped at 120 %):

- S1 (PNS): q1 46 of 40 = 115 % (the later approved report; a rejected 50 does not count),
  t1 95 of 100 = 95 %; the additional RHK does not count: (115 + 95) / 2 = 105.0 -> as
  expected. 360: superior 92, peers 80 and 84 (mean 82): (50 x 92 + 25 x 82) / 75 = 88.7
  -> as expected. Confirmed by the rater: Baik, 100 %.
- S2 (CPNS): q1 16 of 20 = 80.0 % (the first report sent back) -> below; 360 superior only
  70.0 -> below: derived Sangat Kurang; the rater overrides results to as expected:
  as expected x below = Kurang, 85 % x 0.8 = 68.0 %.
- OUT (BKPSDM, 2013): 300 approved minutes of 6,000 = 5 %; superior only 80 -> 70/30:
  3.5 + 24 = 27.5, Buruk, 80 %.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka.admin import NewTopic
from history_data import KAFKA, consume_into, publish_all, run
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters import targets
from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.bootstrap import build_app
from services.appraisal.domain.records import AsOf
from services.appraisal.projections import REGISTRY
from services.appraisal.projections.eligibility import eligibility
from services.appraisal.service_layer.replay import replay_store
from services.appraisal.settings import AppraisalSettings
from services.intake.domain import commands as c
from services.intake.domain.curve_check import CheckedClose, DistributionReading
from services.intake.domain.errors import Rejected
from shared.auth import Principal, Role, issue_token
from shared.clock import FixedClock
from shared.db import make_engine
from shared.events import CheckedUnit, CurveBreach
from shared.history import EventHistory
from shared.kafka import admin as kafka_admin
from shared.personal import Revealer
from shared.policy import Policy, default_policy_path, load_policy
from shared.settings import AuthSettings
from tests.support.keys import TEST_KEYS
from tests.support.pseudonyms import pseudonyms

pytestmark = pytest.mark.integration

PARTITIONS = 3
PERIOD = "2026-03"
CHIEF, HEAD, S1, S2, OUT = ("197001011995031001", "196804111993031009",
                            "199001012015032001", "198505052010011002",
                            "197512312000121003")
ADMIN = Principal("admin", "admin")
AS_CHIEF, AS_HEAD = Principal(CHIEF, "superior"), Principal(HEAD, "superior")
BERAKHLAK = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal",
             "adaptif", "kolaboratif"]
PP46 = ["integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama"]
CreateDb = Callable[[str], Awaitable[str]]


def agency_policy() -> Policy:
    shipped = load_policy(default_policy_path().parent / "erk-permenpanrb-2022-2026.1.yaml")
    return Policy.model_validate({**shipped.model_dump(mode="json"),
                                  "version": "erk-2022-bapenda", "effective_from": PERIOD,
                                  "agencies": ["BAPENDA"]})


def rhk(rhk_id: str, supports: str | None, *indicators: tuple[str, str, float],
        kind: str = "main") -> c.PlanResult:
    return c.PlanResult.model_validate({
        "rhk_id": rhk_id, "kind": kind, "description": f"Hasil {rhk_id}",
        "supports_rhk_id": supports, "indicators": [
            {"indicator_id": i, "aspect": aspect, "description": f"Ukuran {i}",
             "target": target, "unit": "satuan"} for i, aspect, target in indicators]})


async def must(engine: AsyncEngine, principal: Principal, command: Any, day: int,
               month: int = 3) -> Any:
    return await run(engine, principal, command, date(2026, month, day))


async def report(engine: AsyncEngine, nip: str, rhk_id: str, indicator: str, value: float,
                 decision: str | None, day: int) -> uuid.UUID:
    realisation = c.ReportRealisation(realisation_id=uuid.uuid4(), period=PERIOD,
                                      rhk_id=rhk_id, indicator_id=indicator, value=value,
                                      evidence=f"ND-{day}/2026")
    await must(engine, Principal(nip, "employee"), realisation, day)
    if decision is not None:
        await must(engine, AS_HEAD, c.DecideRealisation(
            nip=nip, period=PERIOD, realisation_id=realisation.realisation_id,
            decision=decision, note=f"Umpan balik {day}"), day + 1)
    return realisation.realisation_id


async def roster(engine: AsyncEngine) -> None:
    await must(engine, ADMIN, load_policy(default_policy_path()), 2, 1)
    await must(engine, ADMIN, agency_policy(), 2)
    units = {CHIEF: "BAPENDA", HEAD: "BAPENDA-UPT1", S1: "BAPENDA-UPT1", S2: "BAPENDA-UPT1",
             OUT: "BKPSDM"}
    for nip, unit in units.items():
        await must(engine, ADMIN, c.RegisterEmployee(
            nip=nip, name="Pegawai", unit=unit, position="Analis",
            structural=nip in (CHIEF, HEAD), employment_type="CPNS" if nip == S2 else "PNS"),
            2)
    for nip, superior in ((HEAD, CHIEF), (S1, HEAD), (S2, HEAD), (OUT, HEAD)):
        await must(engine, ADMIN, c.ChangeReportingLine(
            nip=nip, superior_nip=superior, effective_from=date(2026, 1, 1)), 2)


async def make_history(engine: AsyncEngine) -> dict[str, Any]:
    await roster(engine)
    await must(engine, AS_CHIEF, c.SetSkp(nip=HEAD, period=PERIOD, results=[
        rhk("B1", None, ("b1", "quantity", 10))]), 3)
    await must(engine, AS_HEAD, c.SetSkp(nip=S1, period=PERIOD, results=[
        rhk("R1", "B1", ("q1", "quantity", 40), ("t1", "time", 100)),
        rhk("R2", None, ("x1", "quality", 5), kind="additional")]), 3)
    await must(engine, AS_HEAD, c.SetSkp(nip=S2, period=PERIOD, results=[
        rhk("R1", "B1", ("q1", "quantity", 20))]), 3)
    with pytest.raises(Rejected, match="unknown_rhk"):
        await run(engine, Principal(S1, "employee"), c.ReportActivity(
            activity_id=uuid.uuid4(), nip=S1, work_date=date(2026, 3, 4), minutes=120,
            description="Verifikasi berkas", rhk_id="R9"), date(2026, 3, 4))
    for nip, rhk_id in ((S1, "R1"), (OUT, None)):
        activity = c.ReportActivity(activity_id=uuid.uuid4(), nip=nip,
                                    work_date=date(2026, 3, 4),
                                    minutes=120 if nip == S1 else 300,
                                    description="Verifikasi berkas", rhk_id=rhk_id)
        await must(engine, Principal(nip, "employee"), activity, 4)
        await must(engine, AS_HEAD, c.DecideActivity(activity_id=activity.activity_id,
                                                     decision="approved"), 5)
    await report(engine, S1, "R1", "q1", 30, "approved", 9)
    await report(engine, S1, "R1", "q1", 46, "approved", 16)
    await report(engine, S1, "R1", "q1", 50, "rejected", 17)
    await report(engine, S1, "R1", "t1", 95, "approved", 18)
    await report(engine, S1, "R2", "x1", 9, "approved", 18)
    sent_back = await report(engine, S2, "R1", "q1", 10, "revision_requested", 10)
    with pytest.raises(Rejected, match="not_pending"):  # the stream read from PostgreSQL
        await run(engine, AS_HEAD, c.DecideRealisation(
            nip=S2, period=PERIOD, realisation_id=sent_back, decision="approved"),
            date(2026, 3, 12))
    await report(engine, S2, "R1", "q1", 16, "approved", 19)
    for ratee, rater, score in ((S1, HEAD, 92), (S1, S2, 80), (S1, OUT, 84), (S2, HEAD, 70)):
        await must(engine, Principal(rater, "superior" if rater == HEAD else "employee"),
                   c.SubmitBehaviourReview(period=PERIOD, ratee_nip=ratee,
                                           scores=dict.fromkeys(BERAKHLAK, score)), 27)
    await must(engine, AS_HEAD, c.SubmitBehaviourReview(
        period=PERIOD, ratee_nip=OUT, scores=dict.fromkeys(PP46, 80)), 27)
    await must(engine, AS_HEAD, c.RatePerformance(nip=S1, period=PERIOD), 30)
    await must(engine, AS_HEAD, c.RatePerformance(
        nip=S2, period=PERIOD, results_override="as_expected",
        reason="target set before the counter moved"), 30)
    for unit, predicate in (("BAPENDA-UPT1", "Baik"), ("BAPENDA-UPT1", "Butuh Perbaikan"),
                            ("BKPSDM", "Baik")):  # the latest counts
        await must(engine, ADMIN, c.RecordOrganisationalPredicate(
            unit=unit, period=PERIOD, predicate=predicate), 31)
    with pytest.raises(Rejected, match="unknown_predicate"):
        await run(engine, ADMIN, c.RecordOrganisationalPredicate(
            unit="BAPENDA-UPT1", period=PERIOD, predicate="Luar Biasa"), date(2026, 3, 31))
    # the close records the check it read from appraisal first (here: as read by hand)
    closed = await must(engine, ADMIN, CheckedClose(PERIOD, READING), 2, 4)
    assert (closed["closed"], closed["close_action"]) == (True, "closed")
    return {"sent_back": str(sent_back)}


UPT_BREACH = CurveBreach(predicates=["Butuh Perbaikan"], bound="at_least", limit_pct=60.0,
                         count=0, limit_people=2, by=2)
READING = DistributionReading(PERIOD, 60, "warned", (
    CheckedUnit(unit="BAPENDA-UPT1", organisational_predicate="Butuh Perbaikan", checked=True,
                policy_version="erk-2022-bapenda",
                staff={"Sangat Kurang": 1, "Baik": 1, "Kurang": 1}, breaches=[UPT_BREACH],
                outcome="warned"),
    CheckedUnit(unit="BKPSDM", organisational_predicate="Baik", checked=False,
                policy_version=None, staff={}, breaches=[], outcome=None)))


@pytest.fixture(scope="module")
async def world(create_database: CreateDb) -> AsyncIterator[dict[str, Any]]:
    store_url, live_url = await create_database("intake"), await create_database("appraisal")
    topic = f"erk.test.skp.{uuid.uuid4().hex[:10]}"
    admin = kafka_admin(KAFKA)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    store, live = make_engine(store_url), make_engine(live_url)
    try:
        facts = await make_history(store)
        async with EventHistory(store) as history:
            head = await history.head()
        await publish_all(store_url, store, topic, head)
        await consume_into(live, topic, PARTITIONS, batch=7)
        async with live.connect() as conn:
            sums = await table_checksums(conn)
        clock = FixedClock(datetime(2026, 4, 3, 9, tzinfo=ZoneInfo("Asia/Jakarta")))
        app = build_app(AppraisalSettings(database_url=live_url), consume=False, clock=clock)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://appraisal") as client:
            yield {"store_url": store_url, "live": live, "topic": topic, "sums": sums,
                   "client": client, **facts}
    finally:
        await store.dispose()
        await live.dispose()
        await admin.delete_topics([topic])
        await admin.close()


async def row(engine: AsyncEngine, nip: str) -> dict[str, Any]:
    """The eligibility row, its sealed personal values (the rater's reason) opened."""
    async with engine.connect() as conn:
        found = (await conn.execute(select(eligibility).where(
            eligibility.c.nip == nip, eligibility.c.period == PERIOD))).one()
    opened: dict[str, Any] = await Revealer(TEST_KEYS).reveal(dict(found._mapping))
    return opened


FIGURES = ("regime", "policy_version", "results_pct", "behaviour_score", "score", "category",
           "predicate", "allowance_pct", "state")


async def test_the_2022_rows_equal_the_figures_by_hand(world: dict[str, Any]) -> None:
    s1, s2 = await row(world["live"], S1), await row(world["live"], S2)
    assert {k: s1[k] for k in FIGURES} == {
        "regime": "2022", "policy_version": "erk-2022-bapenda", "results_pct": 105.0,
        "behaviour_score": 88.7, "score": None, "category": "Baik", "predicate": "Baik",
        "allowance_pct": 100.0, "state": "final"}
    assert s1["approved_minutes"] == 120
    assert s1["ratings"] == {
        "results": {"derived": "as_expected", "override": None, "final": "as_expected"},
        "behaviour": {"derived": "as_expected", "override": None, "final": "as_expected"},
        "confirmed_by": HEAD, "acting_for": None, "override_reason": None}
    assert {k: s2[k] for k in FIGURES} == {
        "regime": "2022", "policy_version": "erk-2022-bapenda", "results_pct": 80.0,
        "behaviour_score": 70.0, "score": None, "category": "Kurang", "predicate": "Kurang",
        "allowance_pct": 68.0, "state": "final"}
    assert s2["ratings"]["results"] == {"derived": "below", "override": "as_expected",
                                        "final": "as_expected"}
    assert s2["ratings"]["override_reason"] == "target set before the counter moved"
    assert ("rater override: results set to as_expected (derived below): target set before "
            "the counter moved") in s2["reasons"]


def auth(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(hours=12))
    return {"Authorization": f"Bearer {token}"}


async def test_the_other_agency_stays_on_2013(world: dict[str, Any]) -> None:
    out = await row(world["live"], OUT)
    assert {k: out[k] for k in FIGURES} == {
        "regime": "2013", "policy_version": "erk-default-2026.1", "results_pct": 5.0,
        "behaviour_score": 80.0, "score": 27.5, "category": "Buruk", "predicate": None,
        "allowance_pct": 80.0, "state": "final"}
    assert out["ratings"] is None
    # over HTTP a 2013 row reads exactly as before regimes existed; a 2022 row names its own
    page = await world["client"].get(f"/v1/periods/{PERIOD}/eligibility",
                                     headers=auth("dash", "dashboard"))
    assert page.status_code == 200, page.text
    rows = {item["nip"]: item for item in page.json()["items"]}
    assert {"regime", "predicate", "ratings"}.isdisjoint(rows[OUT])
    assert (rows[OUT]["score"], rows[OUT]["pace"]) == (27.5, None)
    assert (rows[S1]["regime"], rows[S1]["predicate"], rows[S1]["score"]) == (
        "2022", "Baik", None)
    month = await world["client"].get(f"/v1/employees/{S2}/months/{PERIOD}",
                                      headers=auth(S2, "employee"))
    assert month.json()["eligibility"]["ratings"]["results"]["final"] == "as_expected"
    assert month.json()["behaviour"]["score"] == 70.0  # BerAKHLAK: the unit's policy


async def test_an_employees_skp_with_targets_realisation_and_feedback(
        world: dict[str, Any]) -> None:
    response = await world["client"].get(f"/v1/employees/{S2}/skp/{PERIOD}",
                                         headers=auth(S2, "employee"))
    assert response.status_code == 200, response.text
    found = response.json()
    assert (found["superior_nip"], found["rating"]["results_override"]) == (HEAD, "as_expected")
    ((r1,),) = [[r for r in found["results"] if r["rhk_id"] == "R1"]]
    assert (r1["kind"], r1["supports_rhk_id"]) == ("main", "B1")
    (q1,) = r1["indicators"]
    assert (q1["target"], q1["realisation"]) == (20.0, 16.0)
    assert [(r["value"], r["status"], r["feedback"]) for r in q1["reports"]] == [
        (10.0, "revision_requested", "Umpan balik 10"), (16.0, "approved", "Umpan balik 19")]
    assert q1["reports"][0]["realisation_id"] == world["sent_back"]
    head = await world["client"].get(f"/v1/employees/{S2}/skp/{PERIOD}",
                                     headers=auth(HEAD, "superior"))
    assert head.status_code == 200
    peer = await world["client"].get(f"/v1/employees/{S2}/skp/{PERIOD}",
                                     headers=auth(S1, "employee"))
    assert (peer.status_code, peer.json()["error"]["code"]) == (403, "role_not_allowed")
    none = await world["client"].get(f"/v1/employees/{OUT}/skp/{PERIOD}",
                                     headers=auth("admin", "admin"))
    assert (none.status_code, none.json()["error"]["code"]) == (404, "not_found")


async def test_a_units_cascade(world: dict[str, Any]) -> None:
    response = await world["client"].get(f"/v1/units/BAPENDA-UPT1/skp-cascade/{PERIOD}",
                                         headers=auth("dash", "dashboard"))
    assert response.status_code == 200, response.text
    results = {(r["nip"], r["rhk_id"]): r for r in response.json()["results"]}
    assert sorted(results) == sorted([(HEAD, "B1"), (S1, "R1"), (S1, "R2"), (S2, "R1")])
    assert [(s["nip"], s["rhk_id"]) for s in results[(HEAD, "B1")]["supported_by"]] == [
        (S2, "R1"), (S1, "R1")]  # by NIP
    assert results[(S1, "R2")]["supported_by"] == []
    refused = await world["client"].get(f"/v1/units/BAPENDA-UPT1/skp-cascade/{PERIOD}",
                                        headers=auth(HEAD, "superior"))
    assert refused.status_code == 403


async def test_the_distribution_curve_of_the_units(world: dict[str, Any]) -> None:
    # BAPENDA-UPT1 is Butuh Perbaikan: HEAD Sangat Kurang (no realisation, no 360), S1 Baik,
    # S2 Kurang: 3 staff. At least 60 % Butuh Perbaikan needs ceil(1.8) = 2, there are 0:
    # 2 short; at most 10 % Sangat Baik allows floor(0.3) = 0, there are 0. The policy warns.
    response = await world["client"].get(f"/v1/periods/{PERIOD}/distribution",
                                         headers=auth("audit", "auditor"))
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["outcome"] == "warned"
    upt, bkpsdm = found["units"]
    assert (upt["unit"], upt["organisational_predicate"], upt["outcome"], upt["staff"]) == (
        "BAPENDA-UPT1", "Butuh Perbaikan", "warned",
        {"Sangat Kurang": 1, "Baik": 1, "Kurang": 1})
    assert upt["breaches"] == [{
        "unit": "BAPENDA-UPT1", "organisational_predicate": "Butuh Perbaikan",
        "predicates": ["Butuh Perbaikan"], "bound": "at_least", "limit_pct": 60.0,
        "staff": 3, "count": 0, "limit_people": 2, "by": 2}]
    assert (bkpsdm["unit"], bkpsdm["checked"]) == ("BKPSDM", False)
    # what the close recorded: the check as read then, and where the projections stood
    assert found["position"] > 0
    (at_close,) = found["recorded_checks"]
    assert found["recorded_at_close"] == at_close
    assert (at_close["outcome"], at_close["close_action"], at_close["reflects_position"]) == (
        "warned", "closed", 60)
    assert at_close["units"] == [unit.model_dump(mode="json") for unit in READING.units]
    assert at_close["units"][0]["breaches"] == [{
        k: v for k, v in upt["breaches"][0].items()
        if k not in ("unit", "organisational_predicate", "staff")}]


async def rebuilt_sums(url: str, world: dict[str, Any]) -> dict[str, tuple[int, str]]:
    await targets.migrate_target(url, REGISTRY.migrations)
    engine = targets.target_engine(url)
    try:
        await replay_store(world["store_url"], engine, world["topic"], PARTITIONS, AsOf(),
                           batch=5, pseudonyms=pseudonyms())
        async with engine.connect() as conn:
            return await table_checksums(conn)
    finally:
        await engine.dispose()


async def test_replay_into_postgresql_and_sqlite_equals_live(
        world: dict[str, Any], create_database: CreateDb, tmp_path: Path) -> None:
    sums = world["sums"]
    assert (sums["skps"][0], sums["skp_realisations"][0], sums["performance_ratings"][0],
            sums["organisational_predicates"][0], sums["distribution_checks"][0]) == (
        3, 7, 2, 2, 1)
    assert await rebuilt_sums(await create_database("appraisal"), world) == sums
    assert await rebuilt_sums(f"sqlite+aiosqlite:///{tmp_path / 'skp.db'}", world) == sums
