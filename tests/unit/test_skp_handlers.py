"""SKP through the service layer on the in-memory adapters: the superior sets a plan that
cascades from their own, the employee reports realisation, the superior validates it and
rates; every refusal with its code and status, an acting superior honoured."""

import uuid
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
CHIEF, HEAD, PLH, STAFF = ("197001011995031001", "196804111993031009", "198505052010011002",
                           "199001012015032001")
AS_CHIEF, AS_HEAD = Principal(CHIEF, "superior"), Principal(HEAD, "superior")
AS_PLH, AS_STAFF = Principal(PLH, "superior"), Principal(STAFF, "employee")
TODAY, PERIOD = date(2026, 3, 20), "2026-03"


async def one(store: InMemoryStore, principal: Principal, command: Any,
              today: date = TODAY) -> Any:
    ((answer,),) = await run_group(store.unit, [(principal, [command])], today)
    return answer


GHOST = "198001012005011001"
TEXTS: dict[str, set[tuple[str | None, str]]] = {
    # every refusal's field and message, word for word
    "role_not_allowed": {
        (None, "role 'employee' may not do this (allowed: superior)"),
        (None, "role 'superior' may not do this (allowed: admin)")},
    "not_direct_superior": {
        (None, "only the employee's direct superior for the period may do this")},
    "self_review": {(None, "nobody sets their own SKP"),
                    (None, "nobody validates their own realisation"),
                    (None, "nobody rates themselves")},
    "unknown_employee": {("nip", "nip: no employee with this NIP")},
    "period_closed": {("period", "period 2026-03 is closed")},
    "duplicate_id": {("results", "results: an rhk_id is used twice"),
                     ("results", "results: RHK R1 uses an indicator_id twice")},
    "unknown_superior_rhk": {("results", "results: RHK R1 supports B1, which the superior's "
                                         "SKP for the period does not hold")},
    "no_main_rhk": {("results", "results: an SKP needs at least one main RHK")},
    "no_skp": {("period", "period: no SKP is set for 2026-03")},
    "unknown_indicator": {
        ("indicator_id", "indicator_id: the SKP has no indicator q9 under RHK R1"),
        ("indicator_id", "indicator_id: the SKP has no indicator q1 under RHK R9")},
    "duplicate_realisation": {("realisation_id", "realisation_id: already used")},
    "unknown_realisation": {("realisation_id",
                             "realisation_id: no such report of this SKP")},
    "not_pending": {("realisation_id", "realisation_id: already revision_requested")},
    "reason_required": {("reason", "reason: an override needs a reason")},
    "unknown_rhk": {("rhk_id", "rhk_id: the SKP for the month has no RHK R1")},
    "unknown_predicate": {("predicate", "predicate: the policy's curve knows Istimewa, Baik, "
                                        "Butuh Perbaikan, Kurang, Sangat Kurang")},
}


def refusal(answer: Any) -> tuple[str, int]:
    """The code and status of a refusal, whose field and message must be one of
    ``TEXTS``."""
    assert isinstance(answer, Rejected), answer
    assert (answer.field, answer.message) in TEXTS[answer.code], answer
    return answer.code, answer.status


@pytest.fixture
async def store() -> InMemoryStore:
    store = InMemoryStore()
    lines = [(HEAD, CHIEF), (PLH, HEAD), (STAFF, HEAD)]
    for command in (POLICY, *(c.RegisterEmployee(nip=n, name="Pegawai", unit="U",
                                                 position="Staf") for n in (CHIEF, HEAD, PLH,
                                                                            STAFF)),
                    *(c.ChangeReportingLine(nip=n, superior_nip=s,
                                            effective_from=date(2026, 1, 1))
                      for n, s in lines)):
        assert not isinstance(await one(store, ADMIN, command), Rejected)
    return store


def plan(nip: str, supports: str | None = None, kind: Any = "main",
         rhk_id: str = "R1") -> c.SetSkp:
    return c.SetSkp(nip=nip, period=PERIOD, results=[c.PlanResult(
        rhk_id=rhk_id, kind=kind, description="Layanan terverifikasi",
        supports_rhk_id=supports, indicators=[c.SkpIndicatorTarget(
            indicator_id="q1", aspect="quantity", description="Berkas", target=40,
            unit="berkas")])])


def realisation(value: float = 30, indicator: str = "q1", rhk: str = "R1") -> (
    c.ReportRealisation
):
    return c.ReportRealisation(realisation_id=uuid.uuid4(), period=PERIOD, rhk_id=rhk,
                               indicator_id=indicator, value=value, evidence="ND-1/2026")


async def test_a_plan_cascades_from_the_superiors_own(store: InMemoryStore) -> None:
    assert refusal(await one(store, AS_HEAD, plan(STAFF, supports="B1"))) == (
        "unknown_superior_rhk", 422)  # the head has no SKP yet
    assert (await one(store, AS_CHIEF, plan(HEAD, rhk_id="B1")))["nip"] == HEAD
    answer = await one(store, AS_HEAD, plan(STAFF, supports="B1"))
    assert answer["nip"] == STAFF and "acting_for" not in answer
    assert [(e.stream_id, e.stream_version, e.event_type) for e in store.events[-2:]] == [
        (f"skp-{HEAD}-{PERIOD}", 1, "SkpSet"), (f"skp-{STAFF}-{PERIOD}", 1, "SkpSet")]
    again = await one(store, AS_HEAD, plan(STAFF, supports="B1"))
    assert not isinstance(again, Rejected)
    assert store.events[-1].stream_version == 2  # a later plan replaces the whole SKP


async def test_who_may_set_a_plan(store: InMemoryStore) -> None:
    assert refusal(await one(store, AS_STAFF, plan(PLH))) == ("role_not_allowed", 403)
    assert refusal(await one(store, AS_CHIEF, plan(STAFF))) == ("not_direct_superior", 403)
    assert refusal(await one(store, AS_HEAD, plan(HEAD))) == ("self_review", 403)
    assert refusal(await one(store, AS_HEAD, plan(GHOST))) == (
        "unknown_employee", 404)
    assert refusal(await one(store, AS_HEAD, plan(STAFF, kind="additional"))) == (
        "no_main_rhk", 422)
    twice = c.SetSkp(nip=STAFF, period=PERIOD, results=[*plan(STAFF).results,
                                                        *plan(STAFF).results])
    assert refusal(await one(store, AS_HEAD, twice)) == ("duplicate_id", 422)
    result = plan(STAFF).results[0]
    doubled = c.SetSkp(nip=STAFF, period=PERIOD, results=[result.model_copy(
        update={"indicators": [*result.indicators, *result.indicators]})])
    assert refusal(await one(store, AS_HEAD, doubled)) == ("duplicate_id", 422)
    assert refusal(await one(store, AS_HEAD, plan(STAFF), today=date(2026, 4, 10))) == (
        "period_closed", 409)


async def test_an_acting_superior_sets_and_validates_in_the_heads_place(
        store: InMemoryStore) -> None:
    appoint = c.AppointActingSuperior(head_nip=HEAD, acting_nip=PLH, kind="Plh",
                                      valid_from=date(2026, 3, 16), valid_to=date(2026, 3, 31))
    assert not isinstance(await one(store, ADMIN, appoint), Rejected)
    assert (await one(store, AS_PLH, plan(STAFF)))["acting_for"] == HEAD
    assert refusal(await one(store, AS_PLH, plan(STAFF), today=date(2026, 3, 13))) == (
        "not_direct_superior", 403)  # the month's line date then is the 13th: not covered
    report = realisation()
    assert (await one(store, AS_STAFF, report))["status"] == "pending"
    decide = c.DecideRealisation(nip=STAFF, period=PERIOD,
                                 realisation_id=report.realisation_id, decision="approved")
    answer = await one(store, AS_PLH, decide)
    assert (answer["status"], answer["acting_for"]) == ("approved", HEAD)
    assert (await one(store, AS_PLH, c.RatePerformance(nip=STAFF, period=PERIOD)))[
        "acting_for"] == HEAD
    assert store.events[-1].payload["acting_for"] == HEAD


async def test_realisation_is_reported_once_and_validated_once(store: InMemoryStore) -> None:
    assert refusal(await one(store, AS_STAFF, realisation())) == ("no_skp", 404)
    assert not isinstance(await one(store, AS_HEAD, plan(STAFF)), Rejected)
    assert refusal(await one(store, AS_STAFF, realisation(indicator="q9"))) == (
        "unknown_indicator", 404)
    assert refusal(await one(store, AS_STAFF, realisation(rhk="R9"))) == (
        "unknown_indicator", 404)
    report = realisation()
    assert refusal(await one(store, AS_STAFF, report, today=date(2026, 4, 10))) == (
        "period_closed", 409)
    assert not isinstance(await one(store, AS_STAFF, report), Rejected)
    assert refusal(await one(store, AS_STAFF, report)) == ("duplicate_realisation", 409)
    decide = c.DecideRealisation(nip=STAFF, period=PERIOD,
                                 realisation_id=report.realisation_id,
                                 decision="revision_requested", note="Lampirkan BA")
    assert refusal(await one(store, AS_CHIEF, decide)) == ("not_direct_superior", 403)
    assert refusal(await one(store, AS_STAFF, decide)) == ("role_not_allowed", 403)
    assert refusal(await one(store, AS_HEAD, decide, today=date(2026, 4, 10))) == (
        "period_closed", 409)
    assert (await one(store, AS_HEAD, decide))["status"] == "revision_requested"
    assert refusal(await one(store, AS_HEAD, decide)) == ("not_pending", 409)
    unknown = decide.model_copy(update={"realisation_id": uuid.uuid4()})
    assert refusal(await one(store, AS_HEAD, unknown)) == ("unknown_realisation", 404)
    event = store.events[-1]
    assert (event.event_type, event.payload["note"], event.payload["reviewer_nip"]) == (
        "RealisationValidated", "Lampirkan BA", HEAD)
    assert not isinstance(await one(store, AS_CHIEF, plan(HEAD)), Rejected)
    own = realisation()
    assert not isinstance(await one(store, AS_HEAD, own), Rejected)
    assert refusal(await one(store, AS_HEAD, c.DecideRealisation(
        nip=HEAD, period=PERIOD, realisation_id=own.realisation_id, decision="approved"))) == (
        "self_review", 403)


async def test_a_rating_overrides_only_with_a_reason(store: InMemoryStore) -> None:
    confirm = c.RatePerformance(nip=STAFF, period=PERIOD)
    assert (await one(store, AS_HEAD, confirm))["nip"] == STAFF
    override = c.RatePerformance(nip=STAFF, period=PERIOD, behaviour_override="above")
    assert refusal(await one(store, AS_HEAD, override)) == ("reason_required", 422)
    results_only = c.RatePerformance(nip=STAFF, period=PERIOD, results_override="below")
    assert refusal(await one(store, AS_HEAD, results_only)) == ("reason_required", 422)
    reasoned = override.model_copy(update={"reason": "Membimbing dua staf baru"})
    assert not isinstance(await one(store, AS_HEAD, reasoned), Rejected)
    assert store.events[-1].payload == {
        "nip": STAFF, "period": PERIOD, "rater_nip": HEAD, "acting_for": None,
        "results_override": None, "behaviour_override": "above",
        "reason": "Membimbing dua staf baru"}
    assert refusal(await one(store, AS_CHIEF, confirm)) == ("not_direct_superior", 403)
    assert refusal(await one(store, AS_HEAD, c.RatePerformance(nip=HEAD, period=PERIOD))) == (
        "self_review", 403)
    ghost = c.RatePerformance(nip=GHOST, period=PERIOD)
    assert refusal(await one(store, AS_HEAD, ghost)) == ("unknown_employee", 404)
    assert refusal(await one(store, AS_HEAD, confirm, today=date(2026, 4, 10))) == (
        "period_closed", 409)


async def test_an_activity_may_name_an_rhk_of_its_months_skp(store: InMemoryStore) -> None:
    def activity(rhk: str | None) -> c.ReportActivity:
        return c.ReportActivity(activity_id=uuid.uuid4(), nip=STAFF,
                                work_date=date(2026, 3, 19), minutes=60,
                                description="Verifikasi", rhk_id=rhk)

    assert refusal(await one(store, AS_STAFF, activity("R1"))) == ("unknown_rhk", 422)
    assert not isinstance(await one(store, AS_HEAD, plan(STAFF)), Rejected)
    assert (await one(store, AS_STAFF, activity("R1")))["status"] == "accepted"
    assert store.events[-1].payload["rhk_id"] == "R1"
    assert (await one(store, AS_STAFF, activity(None)))["status"] == "accepted"
    assert "rhk_id" not in store.events[-1].payload


async def test_an_admin_records_a_units_organisational_predicate(store: InMemoryStore) -> None:
    record = c.RecordOrganisationalPredicate(unit="U", period=PERIOD, predicate="Istimewa")
    assert refusal(await one(store, AS_HEAD, record)) == ("role_not_allowed", 403)
    assert (await one(store, ADMIN, record))["predicate"] == "Istimewa"
    corrected = record.model_copy(update={"predicate": "Baik"})
    assert not isinstance(await one(store, ADMIN, corrected), Rejected)
    assert [(e.stream_id, e.stream_version, e.subject_nip) for e in store.events[-2:]] == [
        (f"unit-predicate-{PERIOD}-U", 1, "*"), (f"unit-predicate-{PERIOD}-U", 2, "*")]
    unknown = record.model_copy(update={"predicate": "Luar Biasa"})
    assert refusal(await one(store, ADMIN, unknown)) == ("unknown_predicate", 422)
    assert refusal(await one(store, ADMIN, record, today=date(2026, 4, 10))) == (
        "period_closed", 409)
