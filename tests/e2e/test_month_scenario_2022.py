"""The 2022 twin of issue 3's month (test_month_scenario.py), over the real stack (both
services as processes, real Kafka and PostgreSQL, ERK_CLOCK_AT): March 2026 of an agency on
a PermenPANRB 6/2022 policy. SKPs cascade from the head of the agency down (RHK with
indicators and targets), realisation is reported and validated, 360 (BerAKHLAK) reviews are
sent, the raters confirm or override the derived ratings with a reason, the admin records
the units' organisational predicates (one breaches its distribution curve), an acting
official (SEK: Plt of HEAD1 from 23 March, Plh of CHIEF in April) validates and rates in
their place, MOVER is transferred from UPT1 to UPT2 on 16 March, March is closed early, C
objects, the objection waits in CHIEF's queue and in the Plh's own, and the Plh upholds it
with a new behaviour rating. Every read model row is
compared with the figures worked out by hand below, and a replay of the event store into
PostgreSQL and SQLite gives the live projections' checksums.

Both services start on Friday 3 April 2026, 09:00 WIB: March is over and not yet locked (its
close day is the 10th), so everything about March is still accepted until the admin closes
it early. Both policies reach back 100 days so every March work date is accepted.

Policy (the shipped 2022 file, agency E2E-BAPENDA; DOMAIN.md's matrix): results as expected
from 100 %, above from 110 %, indicators capped at 120 %, additional RHKs not counted;
behaviour as expected from 76, above from 91; relation weights superior 50, peer 25,
renormalised over who rated; allowance Sangat Baik 100, Baik 100, Butuh Perbaikan 90,
Kurang 85, Sangat Kurang 80; CPNS paid 80 %. Missing input is rated below.

A     (PNS, UPT1) q1 44 of 40 = 110 %, t1 100 of 100 = 100 % (x1 is additional: not
      counted): (110 + 100) / 2 = 105.0 -> as expected. 360: superior 90, peers 80 and 70
      (mean 75): (50 x 90 + 25 x 75) / 75 = 6375 / 75 = 85.0 -> as expected. Confirmed by
      HEAD1: Baik -> 100 %. Approved minutes 300 + 300 = 600 (the second by the Plt).
B     (CPNS, UPT1) q1 25 of 20 = 125 %, capped 120.0 -> above (the first report, 10, was
      sent back). 360: superior 95 (the Plt), peer 90: (50 x 95 + 25 x 90) / 75 = 7000 / 75
      = 93.33 -> 93.3 -> above. Confirmed by the Plt: Sangat Baik -> 100 % x 0.8 = 80.0.
C     (PNS, UPT1) q1 30 of 50 = 60.0 -> below. 360: superior only 60.0 -> below. HEAD1
      overrides results to as expected: as expected x below = Kurang -> 85 %. C objects; the
      Plh of CHIEF upholds it with behaviour as expected: as x as = Baik -> 100 %.
MOVER (PNS, UPT1 until 15 March, UPT2 from the 16th) q1 30 of 30 = 100.0 -> as expected.
      360: HEAD2 80.0 -> as expected. Confirmed by HEAD2: Baik -> 100 %. Approved minutes
      240 (12 March, HEAD1's) + 300 (17 March, HEAD2's) = 540; the row is UPT2's.
HEAD1 (UPT1), HEAD2 (UPT2): an SKP with no realisation: 0.0 -> below; no 360 -> below; not
      confirmed: Sangat Kurang -> 80 %.
CHIEF, SEK (E2E-BAPENDA): no SKP, no 360: below x below = Sangat Kurang -> 80 %.

Curve. UPT1 is "Butuh Perbaikan", 4 staff (HEAD1 Sangat Kurang, A Baik, B Sangat Baik, C
Kurang, then Baik): at least 60 % Butuh Perbaikan needs ceil(2.4) = 3, there are 0: 3 short;
at most 10 % Sangat Baik allows floor(0.4) = 0, there is 1: 1 over; the policy warns. UPT2
is "Baik", 2 staff (HEAD2 Sangat Kurang, MOVER Baik): at most 70 % Baik allows floor(1.4) =
1, there is 1: passed. The period: warned.

Unit roll-ups split MOVER's month: UPT1 approved 600 (A) + 240 (MOVER's 12 March) = 840,
UPT2 300 (MOVER's 17 March).
"""

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.appraisal.adapters import targets
from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.domain.records import AsOf
from services.appraisal.projections import REGISTRY
from services.appraisal.service_layer.replay import replay_store
from shared.db import make_engine
from shared.policy import Policy, default_policy_path, load_policy
from tests.conftest import CreateDb
from tests.e2e.support import EVENTS_PARTITIONS, System, eventually
from tests.support.pseudonyms import pseudonyms

pytestmark = pytest.mark.e2e

PERIOD = "2026-03"
AGENCY, UPT1, UPT2 = "E2E-BAPENDA", "E2E-BAPENDA-UPT1", "E2E-BAPENDA-UPT2"
NATIONAL, POLICY = "e2e-national-2026.1", "e2e-2022-1"
CHIEF, SEK = "196805121993031001", "197003151996032002"
HEAD1, HEAD2 = "197504122000031003", "197612012001121004"
A, B, C = "198801152010012005", "199807072025011006", "199205052019022007"
MOVER = "199002202014031008"
D = "2026-03-16"                                           # MOVER's first day in UPT2
PLT_FROM, PLT_TO = "2026-03-23", "2026-04-10"              # SEK in HEAD1's place
PLH_FROM, PLH_TO = "2026-04-01", "2026-04-07"              # SEK in CHIEF's place
TODAY = "2026-04-03"
BERAKHLAK = ("berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal",
             "adaptif", "kolaboratif")
OVERRIDE_REASON = "Target disusun sebelum loket baru dibuka"

# -- the figures by hand (see the module) ------------------------------------------------------
# nip: (unit, approved minutes, results %, 360 score, predicate, allowance %)
FIGURES: dict[str, tuple[str, int, float | None, float | None, str, float]] = {
    A: (UPT1, 600, 105.0, 85.0, "Baik", 100.0),
    B: (UPT1, 0, 120.0, 93.3, "Sangat Baik", 80.0),
    C: (UPT1, 0, 60.0, 60.0, "Baik", 100.0),              # Kurang (85 %) until the objection
    MOVER: (UPT2, 540, 100.0, 80.0, "Baik", 100.0),
    HEAD1: (UPT1, 0, 0.0, None, "Sangat Kurang", 80.0),
    HEAD2: (UPT2, 0, 0.0, None, "Sangat Kurang", 80.0),
    CHIEF: (AGENCY, 0, None, None, "Sangat Kurang", 80.0),
    SEK: (AGENCY, 0, None, None, "Sangat Kurang", 80.0),
}
FINAL = "final: the period is closed"
UNRATED = ["results below, behaviour below -> predicate Sangat Kurang",
           "predicate Sangat Kurang -> allowance 80%", FINAL]
REASONS: dict[str, list[str]] = {
    A: ["SKP achievement 105.0% -> results as_expected", "360 score 85.0 -> behaviour as_expected",
        "ratings confirmed by the rater",
        "results as_expected, behaviour as_expected -> predicate Baik",
        "predicate Baik -> allowance 100%", FINAL],
    B: ["SKP achievement 120.0% -> results above", "360 score 93.3 -> behaviour above",
        "ratings confirmed by the rater", "results above, behaviour above -> predicate Sangat Baik",
        "predicate Sangat Baik -> allowance 100%", "CPNS: 80% of the allowance", FINAL],
    C: ["SKP achievement 60.0% -> results below", "360 score 60.0 -> behaviour below",
        f"rater override: results set to as_expected (derived below): {OVERRIDE_REASON}",
        "objection decision: behaviour set to as_expected",
        "results as_expected, behaviour as_expected -> predicate Baik",
        "predicate Baik -> allowance 100%", FINAL,
        f"result set by the objection decision of {TODAY} (upheld)"],
    MOVER: ["SKP achievement 100.0% -> results as_expected",
            "360 score 80.0 -> behaviour as_expected", "ratings confirmed by the rater",
            "results as_expected, behaviour as_expected -> predicate Baik",
            "predicate Baik -> allowance 100%", FINAL],
    **{head: ["SKP achievement 0.0% -> results below",
              "no 360 ratings: behaviour below expectation",
              "ratings not yet confirmed by the rater", *UNRATED] for head in (HEAD1, HEAD2)},
    **{nip: ["no SKP set for the period: results below expectation",
             "no 360 ratings: behaviour below expectation",
             "ratings not yet confirmed by the rater", *UNRATED] for nip in (CHIEF, SEK)},
}


def rated(derived: str, override: str | None = None, objection: str | None = None) -> (
    dict[str, str | None]
):
    shown = {"derived": derived, "override": override,
             "final": objection or override or derived}
    return shown if objection is None else {**shown, "objection": objection}


def ratings(results: dict[str, Any], behaviour: dict[str, Any], by: str | None,
            acting_for: str | None = None, reason: str | None = None) -> dict[str, Any]:
    return {"results": results, "behaviour": behaviour, "confirmed_by": by,
            "acting_for": acting_for, "override_reason": reason}


AS, ABOVE, BELOW = rated("as_expected"), rated("above"), rated("below")
RATINGS = {
    A: ratings(AS, AS, HEAD1),
    B: ratings(ABOVE, ABOVE, SEK, acting_for=HEAD1),           # the Plt rated
    C: ratings(rated("below", "as_expected"), rated("below", objection="as_expected"), HEAD1,
               reason=OVERRIDE_REASON),
    MOVER: ratings(AS, AS, HEAD2),
    **{nip: ratings(BELOW, BELOW, None) for nip in (HEAD1, HEAD2, CHIEF, SEK)},
}


@pytest.fixture(scope="module")
def clock_at() -> str:
    """Both services start on 3 April 2026, 09:00 WIB: March is over, not yet locked."""
    return "2026-04-03T09:00:00+07:00"


def check(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), \
        response.text


def rhk(rhk_id: str, supports: str | None, *indicators: tuple[str, str, float],
        kind: str = "main") -> dict[str, Any]:
    return {"rhk_id": rhk_id, "kind": kind, "description": f"Hasil kerja {rhk_id}",
            "supports_rhk_id": supports, "indicators": [
                {"indicator_id": i, "aspect": aspect, "description": f"Ukuran {i}",
                 "target": target, "unit": "dokumen"} for i, aspect, target in indicators]}


class Month:
    """The scenario's clients and tokens."""

    def __init__(self, system: System, intake: httpx.AsyncClient,
                 appraisal: httpx.AsyncClient) -> None:
        self.system, self.intake, self.appraisal = system, intake, appraisal
        self.admin = system.auth("admin", "admin")
        self.dashboard = system.auth("dashboard", "dashboard")

    def as_superior(self, nip: str) -> dict[str, str]:
        return self.system.auth(nip, "superior")

    def as_employee(self, nip: str) -> dict[str, str]:
        return self.system.auth(nip, "employee")

    async def post(self, path: str, headers: dict[str, str], body: Any,
                   status: int = 201) -> Any:
        return check(await self.intake.post(path, headers=headers, json=body), status)

    async def get(self, path: str, headers: dict[str, str] | None = None,
                  **params: str) -> Any:
        return check(await self.appraisal.get(path, headers=headers or self.dashboard,
                                              params=params), 200)


async def set_up_agency(m: Month) -> None:
    national = load_policy(default_policy_path()).model_copy(update={
        "version": NATIONAL, "effective_from": PERIOD, "backdating_days": 100})
    shipped = load_policy(default_policy_path().parent / "erk-permenpanrb-2022-2026.1.yaml")
    agency = Policy.model_validate({**shipped.model_dump(mode="json"), "version": POLICY,
                                    "effective_from": PERIOD, "agencies": [AGENCY],
                                    "backdating_days": 100})
    for policy in (national, agency):
        await m.post("/v1/policies", m.admin, policy.model_dump(mode="json"))
    people = [(CHIEF, AGENCY, True, "PNS"), (SEK, AGENCY, True, "PNS"),
              (HEAD1, UPT1, True, "PNS"), (HEAD2, UPT2, True, "PNS"), (A, UPT1, False, "PNS"),
              (B, UPT1, False, "CPNS"), (C, UPT1, False, "PNS"), (MOVER, UPT1, False, "PNS")]
    for nip, unit, structural, kind in people:
        await m.post("/v1/employees", m.admin, {
            "nip": nip, "name": f"Pegawai {nip[-3:]}", "unit": unit, "position": "Analis",
            "structural": structural, "employment_type": kind})
    for nip, superior in ((SEK, CHIEF), (HEAD1, CHIEF), (HEAD2, CHIEF), (A, HEAD1),
                          (B, HEAD1), (C, HEAD1), (MOVER, HEAD1)):
        await m.post("/v1/reporting-lines", m.admin, {
            "nip": nip, "superior_nip": superior, "effective_from": "2026-01-01"})
    # MOVER moves to UPT2 under HEAD2 on day D (recorded afterwards: dates are kept)
    await m.post("/v1/transfers", m.admin, {"nip": MOVER, "unit": UPT2, "superior_nip": HEAD2,
                                            "effective_from": D})
    # SEK: Plt of HEAD1 from 23 March, Plh of CHIEF in the first week of April
    for head, kind, first, last in ((HEAD1, "Plt", PLT_FROM, PLT_TO),
                                    (CHIEF, "Plh", PLH_FROM, PLH_TO)):
        await m.post("/v1/acting-appointments", m.admin, {
            "head_nip": head, "acting_nip": SEK, "kind": kind, "valid_from": first,
            "valid_to": last})
    refused(await m.intake.post("/v1/acting-appointments", headers=m.admin, json={
        "head_nip": HEAD1, "acting_nip": HEAD2, "kind": "Plh", "valid_from": "2026-04-01",
        "valid_to": "2026-04-02"}), 409, "acting_overlap")
    refused(await m.intake.post("/v1/acting-appointments", headers=m.admin, json={
        "head_nip": SEK, "acting_nip": SEK, "kind": "Plh", "valid_from": "2026-04-01",
        "valid_to": "2026-04-02"}), 422, "self_appointment")


async def plan(m: Month) -> None:
    """The cascade: CHIEF plans the heads' SKPs, each head their own staff's."""
    chief = m.as_superior(CHIEF)
    await m.post("/v1/skp", chief, {"nip": HEAD1, "period": PERIOD, "results": [
        rhk("B1", None, ("b1", "quantity", 10))]})
    await m.post("/v1/skp", chief, {"nip": HEAD2, "period": PERIOD, "results": [
        rhk("B2", None, ("b2", "quantity", 10))]})
    head1 = m.as_superior(HEAD1)
    await m.post("/v1/skp", head1, {"nip": A, "period": PERIOD, "results": [
        rhk("R1", "B1", ("q1", "quantity", 40), ("t1", "time", 100)),
        rhk("R2", None, ("x1", "quality", 5), kind="additional")]})
    await m.post("/v1/skp", head1, {"nip": B, "period": PERIOD, "results": [
        rhk("R1", "B1", ("q1", "quantity", 20))]})
    await m.post("/v1/skp", head1, {"nip": C, "period": PERIOD, "results": [
        rhk("R1", "B1", ("q1", "quantity", 50))]})
    mover_skp = {"nip": MOVER, "period": PERIOD, "results": [
        rhk("R1", "B2", ("q1", "quantity", 30))]}
    # MOVER's rater is the superior of the month's last day: HEAD2, no longer HEAD1
    refused(await m.intake.post("/v1/skp", headers=head1, json=mover_skp), 403,
            "not_direct_superior")
    await m.post("/v1/skp", m.as_superior(HEAD2), mover_skp)


async def work(m: Month) -> dict[str, str]:
    """Activities on each side of D and of the Plt's first day; returns their ids."""
    ids = {}
    for name, nip, day, minutes, decider, stranger in (
            ("a_own", A, 2, 300, HEAD1, None),
            ("a_plt", A, 24, 300, SEK, None),          # HEAD1 is away: the Plt validates
            ("mover_before", MOVER, 12, 240, HEAD1, HEAD2),
            ("mover_after", MOVER, 17, 300, HEAD2, HEAD1)):
        activity = str(uuid.uuid4())
        await m.post("/v1/activities", m.as_employee(nip), {
            "activity_id": activity, "nip": nip, "work_date": date(2026, 3, day).isoformat(),
            "minutes": minutes, "description": "Verifikasi berkas pajak", "rhk_id": "R1"})
        path = f"/v1/activities/{activity}/decision"
        if stranger is not None:  # the other side of D belongs to the other superior
            refused(await m.intake.post(path, headers=m.as_superior(stranger),
                                        json={"decision": "approved"}),
                    403, "not_direct_superior")
        answer = await m.post(path, m.as_superior(decider), {"decision": "approved"})
        assert answer.get("acting_for") == (HEAD1 if decider == SEK else None), answer
        ids[name] = activity
    return ids


async def realise(m: Month) -> dict[str, str]:
    """Realisation reported by each employee and validated (B's first report sent back)."""
    ids = {}
    for name, nip, rhk_id, indicator, value, decider, decision, note in (
            ("a_q1", A, "R1", "q1", 44, HEAD1, "approved", "Sesuai target"),
            ("a_t1", A, "R1", "t1", 100, SEK, "approved", "Tepat waktu"),
            ("a_x1", A, "R2", "x1", 9, HEAD1, "approved", None),
            ("b_first", B, "R1", "q1", 10, HEAD1, "revision_requested",
             "Lampirkan berita acara"),
            ("b_q1", B, "R1", "q1", 25, SEK, "approved", "Lengkap"),
            ("c_q1", C, "R1", "q1", 30, HEAD1, "approved", "Perlu ditingkatkan"),
            ("mover_q1", MOVER, "R1", "q1", 30, HEAD2, "approved", None)):
        realisation = str(uuid.uuid4())
        await m.post("/v1/skp/realisations", m.as_employee(nip), {
            "realisation_id": realisation, "period": PERIOD, "rhk_id": rhk_id,
            "indicator_id": indicator, "value": value, "evidence": f"ND-{name}/2026"})
        answer = await m.post("/v1/skp/realisation-decisions", m.as_superior(decider), {
            "nip": nip, "period": PERIOD, "realisation_id": realisation, "decision": decision,
            "note": note})
        assert answer.get("acting_for") == (HEAD1 if decider == SEK else None), answer
        ids[name] = realisation
    return ids


async def review_and_rate(m: Month) -> None:
    for rater, role, ratee, score, relation in (
            (HEAD1, "superior", A, 90, "superior"), (B, "employee", A, 80, "peer"),
            (C, "employee", A, 70, "peer"),
            (SEK, "superior", B, 95, "superior"),     # the Plt, in HEAD1's place
            (A, "employee", B, 90, "peer"),
            (HEAD1, "superior", C, 60, "superior"),
            (HEAD2, "superior", MOVER, 80, "superior")):
        answer = await m.post("/v1/reviews", m.system.auth(rater, role), {
            "period": PERIOD, "ratee_nip": ratee, "scores": dict.fromkeys(BERAKHLAK, score)})
        assert (answer["relation"], answer.get("acting_for")) == (
            relation, HEAD1 if rater == SEK else None), answer
    for rater, nip, override in ((HEAD1, A, {}), (SEK, B, {}), (HEAD2, MOVER, {}), (
            HEAD1, C, {"results_override": "as_expected", "reason": OVERRIDE_REASON})):
        await m.post("/v1/skp/ratings", m.as_superior(rater),
                     {"nip": nip, "period": PERIOD, **override})
    refused(await m.intake.post("/v1/skp/ratings", headers=m.as_superior(HEAD1), json={
        "nip": A, "period": PERIOD, "behaviour_override": "above"}), 422, "reason_required")
    for unit, predicate in ((UPT1, "Baik"), (UPT1, "Butuh Perbaikan"), (UPT2, "Baik")):
        await m.post("/v1/skp/organisational-predicates", m.admin,   # the latest counts
                     {"unit": unit, "period": PERIOD, "predicate": predicate})


async def close_and_object(m: Month) -> None:
    await m.post(f"/v1/periods/{PERIOD}/close", m.admin, {})
    filed = await m.post("/v1/objections", m.as_employee(C), {
        "period": PERIOD, "reasons": "Loket baru dibuka tanggal 20; perilaku dinilai keliru"})
    # the rater is HEAD1 (the line of 31 March), the decider HEAD1's superior; window: the
    # close day 10 April + 14 days
    assert (filed["decider_nip"], filed["deadline"]) == (CHIEF, "2026-04-24"), filed

    async def queued() -> None:
        queue = await m.get(f"/v1/superiors/{CHIEF}/objections", m.as_superior(CHIEF))
        assert [(i["nip"], i["rater_nip"], i["age_days"], i["acting_for"])
                for i in queue["items"]] == [(C, HEAD1, 0, None)], queue
        # SEK is CHIEF's Plh today (1-7 April): the objection is in SEK's own queue too
        acting = await m.get(f"/v1/superiors/{SEK}/objections", m.as_superior(SEK))
        assert [(i["nip"], i["acting_for"]) for i in acting["items"]] == [(C, CHIEF)], acting
    await eventually(queued, within=30)
    row = await eventually(lambda: eligibility_row(m, C, "under_objection"), within=30)
    assert (row["predicate"], row["allowance_pct"], row["payable"]) == ("Kurang", 85.0, False)

    path = f"/v1/objections/{PERIOD}/{C}/decision"
    decision = {"outcome": "upheld", "reason": "Penilaian perilaku tidak didukung catatan"}
    refused(await m.intake.post(path, headers=m.as_superior(SEK), json={
        **decision, "behaviour_score": 80.0}), 422, "result_of_other_regime")
    refused(await m.intake.post(path, headers=m.as_superior(HEAD1), json={
        **decision, "behaviour_rating": "as_expected"}), 403, "not_decider")
    answer = await m.post(path, m.as_superior(SEK), {**decision,
                                                     "behaviour_rating": "as_expected"})
    assert (answer["status"], answer["acting_for"]) == ("upheld", CHIEF), answer


async def eligibility_row(m: Month, nip: str, objection: str) -> dict[str, Any]:
    unit = FIGURES[nip][0]
    page = await m.get(f"/v1/periods/{PERIOD}/eligibility", unit=unit)
    (row,) = [item for item in page["items"] if item["nip"] == nip]
    assert row["objection"] == objection, row
    return row  # type: ignore[no-any-return]


async def all_final(m: Month) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for unit, people in ((UPT1, 4), (UPT2, 2), (AGENCY, 2)):
        page = await m.get(f"/v1/periods/{PERIOD}/eligibility", unit=unit)
        assert page["total"] == people, page
        rows |= {item["nip"]: item for item in page["items"]}
    assert {nip: row["state"] for nip, row in rows.items()} == dict.fromkeys(FIGURES, "final")
    assert rows[C]["objection"] == "upheld", rows[C]
    return rows


async def test_a_2022_month_of_an_agency(system: System, create_database: CreateDb,
                                         tmp_path: Path) -> None:
    async with httpx.AsyncClient(base_url=system.intake_url, timeout=30) as intake, \
            httpx.AsyncClient(base_url=system.appraisal_url, timeout=30) as appraisal:
        m = Month(system, intake, appraisal)
        await set_up_agency(m)
        await plan(m)
        activities = await work(m)
        realisations = await realise(m)
        await review_and_rate(m)
        await close_and_object(m)
        rows = await eventually(lambda: all_final(m), within=40)

        # -- eligibility: every row against the figures by hand ---------------------------
        for nip, (unit, minutes, results, behaviour, predicate, allowance) in FIGURES.items():
            row = rows[nip]
            assert (row["unit"], row["regime"], row["policy_version"], row["approved_minutes"],
                    row["target_minutes"], row["results_pct"], row["behaviour_score"],
                    row["score"], row["category"], row["predicate"], row["allowance_pct"]) == (
                unit, "2022", POLICY, minutes, 6000, results, behaviour, None, predicate,
                predicate, allowance), nip
            assert row["ratings"] == RATINGS[nip], nip
            assert row["reasons"] == REASONS[nip], nip
            assert (row["objection"], row["payable"]) == (
                "upheld" if nip == C else None, True), nip

        await assert_skps(m, realisations)
        await assert_curve(m)
        await assert_acting_and_transfer(m, activities)
        await assert_replay(system, create_database, tmp_path)


async def assert_skps(m: Month, realisations: dict[str, str]) -> None:
    skp_b = await m.get(f"/v1/employees/{B}/skp/{PERIOD}", m.as_employee(B))
    (r1,) = skp_b["results"]
    (q1,) = r1["indicators"]
    assert (r1["rhk_id"], r1["kind"], r1["supports_rhk_id"], q1["target"],
            q1["realisation"]) == ("R1", "main", "B1", 20.0, 25.0)
    assert [(r["realisation_id"], r["value"], r["status"], r["feedback"], r["decided_by"],
             r["acting_for"]) for r in q1["reports"]] == [
        (realisations["b_first"], 10.0, "revision_requested", "Lampirkan berita acara",
         HEAD1, None),
        (realisations["b_q1"], 25.0, "approved", "Lengkap", SEK, HEAD1)]
    skp_a = await m.get(f"/v1/employees/{A}/skp/{PERIOD}", m.as_superior(HEAD1))
    indicators = {(r["rhk_id"], i["indicator_id"]): (i["target"], i["realisation"])
                  for r in skp_a["results"] for i in r["indicators"]}
    assert indicators == {("R1", "q1"): (40.0, 44.0), ("R1", "t1"): (100.0, 100.0),
                          ("R2", "x1"): (5.0, 9.0)}
    cascade = await m.get(f"/v1/units/{UPT1}/skp-cascade/{PERIOD}")
    supported = {(r["nip"], r["rhk_id"]): [(s["nip"], s["rhk_id"]) for s in r["supported_by"]]
                 for r in cascade["results"]}
    assert supported == {(HEAD1, "B1"): [(A, "R1"), (C, "R1"), (B, "R1")],  # by NIP
                         (A, "R1"): [], (A, "R2"): [], (B, "R1"): [], (C, "R1"): []}
    upt2 = await m.get(f"/v1/units/{UPT2}/skp-cascade/{PERIOD}")
    assert {(r["nip"], r["rhk_id"]): [(s["nip"], s["rhk_id"]) for s in r["supported_by"]]
            for r in upt2["results"]} == {(HEAD2, "B2"): [(MOVER, "R1")], (MOVER, "R1"): []}


async def assert_curve(m: Month) -> None:
    curve = await m.get(f"/v1/periods/{PERIOD}/distribution", m.system.auth("bpk", "auditor"))
    assert curve["outcome"] == "warned"
    upt1, upt2 = curve["units"]
    assert (upt1["unit"], upt1["organisational_predicate"], upt1["outcome"], upt1["staff"]) == (
        UPT1, "Butuh Perbaikan", "warned", {"Sangat Kurang": 1, "Baik": 2, "Sangat Baik": 1})
    band = {"unit": UPT1, "organisational_predicate": "Butuh Perbaikan", "staff": 4}
    assert upt1["breaches"] == [
        {**band, "predicates": ["Butuh Perbaikan"], "bound": "at_least", "limit_pct": 60.0,
         "count": 0, "limit_people": 3, "by": 3},       # ceil(0.6 x 4) = 3 needed, 0 there
        {**band, "predicates": ["Sangat Baik"], "bound": "at_most", "limit_pct": 10.0,
         "count": 1, "limit_people": 0, "by": 1}]       # floor(0.1 x 4) = 0 allowed, 1 there
    assert (upt2["unit"], upt2["organisational_predicate"], upt2["outcome"], upt2["staff"],
            upt2["breaches"]) == (UPT2, "Baik", "passed", {"Sangat Kurang": 1, "Baik": 1}, [])


async def assert_acting_and_transfer(m: Month, activities: dict[str, str]) -> None:
    decided = {}
    for name, owner in (("a_own", A), ("a_plt", A), ("mover_before", MOVER),
                        ("mover_after", MOVER)):
        found = await m.get(f"/v1/activities/{activities[name]}", m.as_employee(owner))
        decided[name] = (found["status"], found["superior_nip"], found["decided_by"],
                         found["acting_for"])
    assert decided == {"a_own": ("approved", HEAD1, HEAD1, None),
                       "a_plt": ("approved", HEAD1, SEK, HEAD1),
                       "mover_before": ("approved", HEAD1, HEAD1, None),
                       "mover_after": ("approved", HEAD2, HEAD2, None)}
    objection = await m.get(f"/v1/employees/{C}/objections/{PERIOD}", m.as_employee(C))
    assert (objection["status"], objection["decider_nip"], objection["decided_by"],
            objection["acting_for"], objection["decided_on"], objection["approved_minutes"],
            objection["behaviour_score"], objection["results_rating"],
            objection["behaviour_rating"]) == (
        "upheld", CHIEF, SEK, CHIEF, TODAY, None, None, None, "as_expected")
    for decider in (CHIEF, SEK):  # decided: in nobody's queue
        queue = await m.get(f"/v1/superiors/{decider}/objections", m.as_superior(decider))
        assert queue["items"] == [], decider

    # the unit roll-ups split MOVER's month by work date; categories follow the row's unit
    upt1 = await m.get(f"/v1/units/{UPT1}/months/{PERIOD}")
    upt2 = await m.get(f"/v1/units/{UPT2}/months/{PERIOD}")
    assert (upt1["employees_reporting"], upt1["minutes"]) == (2, {
        "pending": 0, "approved": 600 + 240, "rejected": 0, "revision_requested": 0,
        "not_validated": 0})
    assert (upt2["employees_reporting"], upt2["minutes"]) == (1, {
        "pending": 0, "approved": 300, "rejected": 0, "revision_requested": 0,
        "not_validated": 0})
    assert upt1["categories"] == {"Sangat Kurang": 1, "Baik": 2, "Sangat Baik": 1}
    assert upt2["categories"] == {"Sangat Kurang": 1, "Baik": 1}
    before = await m.get(f"/v1/employees/{MOVER}", as_of="2026-03-15")
    after = await m.get(f"/v1/employees/{MOVER}", as_of=D)
    assert (before["unit"], before["reporting_line"]["superior_nip"]) == (UPT1, HEAD1)
    assert (after["unit"], after["reporting_line"]["superior_nip"],
            after["reporting_line"]["since"]) == (UPT2, HEAD2, D)
    month = await m.get(f"/v1/employees/{MOVER}/months/{PERIOD}", m.as_superior(HEAD2))
    assert (month["minutes"]["approved_minutes"], month["minutes"]["activities"]) == (540, 2)


async def assert_replay(system: System, create_database: CreateDb, tmp_path: Path) -> None:
    """A rebuild from the event store, into PostgreSQL and SQLite, equals the live tables."""
    live = make_engine(system.appraisal_db)
    try:
        async with live.connect() as conn:
            sums = await table_checksums(conn)
    finally:
        await live.dispose()
    assert (sums["skps"][0], sums["skp_realisations"][0], sums["performance_ratings"][0],
            sums["organisational_predicates"][0], sums["objections"][0],
            sums["acting_appointments"][0], sums["eligibility"][0]) == (6, 7, 4, 2, 1, 2, 8)
    for url in (await create_database("appraisal"),
                f"sqlite+aiosqlite:///{tmp_path / 'replay-2022.db'}"):
        await targets.migrate_target(url, REGISTRY.migrations)
        engine = targets.target_engine(url)
        try:
            await replay_store(system.intake_db, engine, system.topics.events,
                               EVENTS_PARTITIONS, AsOf(), batch=50, pseudonyms=pseudonyms())
            async with engine.connect() as conn:
                assert await table_checksums(conn) == sums, url
        finally:
            await engine.dispose()
