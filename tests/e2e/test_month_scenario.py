"""Issue 3's scenario over the real stack: one unit (a head and four staff) through a whole
past month — activities from an e-Samsat client over the Kafka ingress and from the app
over HTTP (single and batch), validations by the head, 360 reviews, the period closed by an
admin — and every eligibility row compared with figures worked out by hand below.

The scenario runs on a fixed date: both services start with ERK_CLOCK_AT on 3 April 2026
(Asia/Jakarta), after March ended and before its close day (the 10th), so everything dated
in March is still accepted until the admin closes March early. The test policy reaches back
100 days so every work date of March is accepted, and a late report after the close is
refused by the closed-period rule, not by backdating. S4's last activity, still pending at
the close, is then "not validated in time": it leaves the head's queue and its 300 minutes
move from pending to not validated (it never counted towards eligibility).

Figures (default weights: results/behaviour 60/40 with peer or subordinate input, 70/30
with the superior only; relation weights superior 50, peer 25, subordinate 25, renormalised
over the relations that rated; target 6,000 minutes; bands Sangat Baik >= 91, Baik >= 76,
Cukup >= 61, Kurang >= 51, Buruk >= 0; allowance 100/100/90/85/80, 65 with no report;
CPNS paid 80%):

S1 (PNS)  approved 20 x 300 = 6,000 -> results 100.0%
          360: superior 90; peers 80, 85, 90 -> 85 (3 peers: detail shown)
               (50*90 + 25*85) / 75 = 6625/75 = 88.333 -> 88.3 Baik
          score 0.6*100 + 0.4*88.333 = 60 + 35.333 = 95.333 -> 95.3 Sangat Baik -> 100%
S2 (PNS)  approved 15 x 300 = 4,500 (one revision requested, then approved; one rejected)
          -> 75.0%; 360: superior 80 (a resubmission replacing 60); peers 70, 80 -> 75
          (2 peers: detail hidden, still counted) (50*80 + 25*75)/75 = 5875/75 = 78.333 -> 78.3
          score 0.6*75 + 0.4*78.333 = 45 + 31.333 = 76.333 -> 76.3 Baik -> 100%
S3 (PPPK) approved 10 x 240 = 2,400 (two rejected) -> 40.0%
          360: superior 70; one peer 60 (hidden) -> (50*70 + 25*60)/75 = 5000/75 = 66.667
          -> 66.7 Cukup; score 0.6*40 + 0.4*66.667 = 24 + 26.667 = 50.667 -> 50.7 Buruk -> 80%
S4 (CPNS) approved 17 x 300 = 5,100 (one left pending) -> 85.0%
          360: superior only, (80+85+90+75+70)/5 = 80 -> 80.0 Baik
          score 0.7*85 + 0.3*80 = 59.5 + 24 = 83.5 Baik -> 100% x 0.8 = 80%
HEAD (PNS, structural, no superior, reports nothing) approved 0 -> 0.0%
          360: subordinates 80, 90, 100 -> 90 (3 subordinates: detail shown) -> 90.0 Baik
          score 0.6*0 + 0.4*90 = 36.0 Buruk; nothing reported -> 65%
"""

import json
import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from shared.kafka import raw_producer
from shared.policy import default_policy_path, load_policy
from tests.e2e.support import KAFKA, System, eventually

pytestmark = pytest.mark.e2e

UNIT = "E2E-SAMSAT-KOTA"
HEAD = "197504122000031001"
S1 = "198801152010012002"
S2 = "199002202014031003"
S3 = "199205052019022004"
S4 = "199807072025011005"
STAFF = (S1, S2, S3, S4)
ESAMSAT = "esamsat-kota-01"
POLICY = "e2e-month-1"

NON_STRUCTURAL = ("integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama")
STRUCTURAL = (*NON_STRUCTURAL, "kepemimpinan")


def flat(score: int, indicators: tuple[str, ...] = NON_STRUCTURAL) -> dict[str, int]:
    return dict.fromkeys(indicators, score)


YEAR, MONTH = 2026, 3
PERIOD = f"{YEAR:04d}-{MONTH:02d}"


@pytest.fixture(scope="module")
def clock_at() -> str:
    """Both services start on 3 April 2026, 09:00 WIB: March is over, not yet locked."""
    return "2026-04-03T09:00:00+07:00"


def day(n: int) -> str:
    return date(YEAR, MONTH, n).isoformat()


def activity(nip: str, n: int, minutes: int, **extra: Any) -> dict[str, Any]:
    return {"activity_id": str(uuid.uuid4()), "nip": nip, "work_date": day(n),
            "minutes": minutes, "description": f"Pelayanan pajak kendaraan hari {n}", **extra}


def check(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


async def test_month_of_a_unit(system: System) -> None:
    admin = system.auth("admin", "admin")
    head = system.auth(HEAD, "superior")
    staff = {nip: system.auth(nip, "employee") for nip in STAFF}
    dashboard = system.auth("dashboard", "dashboard")
    async with httpx.AsyncClient(base_url=system.intake_url, timeout=20) as intake, \
            httpx.AsyncClient(base_url=system.appraisal_url, timeout=20) as appraisal:

        # -- policy and roster, by an admin -------------------------------------------------
        policy = load_policy(default_policy_path()).model_copy(update={
            "version": POLICY, "effective_from": PERIOD, "backdating_days": 100})
        check(await intake.post("/v1/policies", headers=admin,
                                json=policy.model_dump(mode="json")))
        people = [(HEAD, "Hendra Kurniawan", "Kepala Seksi", True, "PNS", 9),
                  (S1, "Sri Wahyuni", "Pengelola Pajak", False, "PNS", 7),
                  (S2, "Rudi Hartono", "Pengelola Pajak", False, "PNS", 7),
                  (S3, "Dewi Lestari", "Petugas Loket", False, "PPPK", 6),
                  (S4, "Andi Pratama", "Petugas Loket", False, "CPNS", 5)]
        for nip, name, position, structural, kind, job_class in people:
            check(await intake.post("/v1/employees", headers=admin, json={
                "nip": nip, "name": name, "unit": UNIT, "position": position,
                "structural": structural, "employment_type": kind, "job_class": job_class}))
        for nip in STAFF:
            check(await intake.post("/v1/reporting-lines", headers=admin, json={
                "nip": nip, "superior_nip": HEAD, "effective_from": day(1)}))

        # -- activities ---------------------------------------------------------------------
        # S1: days 1..10 from the e-Samsat counter over Kafka, 300 minutes each
        s1_kafka = [activity(S1, n, 300, external_ref=f"TRX-S1-{n:02d}") for n in range(1, 11)]
        # S3: days 1..12 from the e-Samsat counter over Kafka, 240 minutes each
        s3_kafka = [activity(S3, n, 240, external_ref=f"TRX-S3-{n:02d}") for n in range(1, 13)]
        retries = [s1_kafka[0],  # the same record again
                   {**s1_kafka[1], "activity_id": str(uuid.uuid4())}]  # same external ref
        token = system.token(ESAMSAT, "eservice")
        producer = raw_producer(KAFKA, acks="all")
        await producer.start()
        try:
            for body in s1_kafka + s3_kafka + retries:
                await producer.send_and_wait(
                    system.topics.ingress, json.dumps(body).encode(), key=body["nip"].encode(),
                    headers=[("authorization", f"Bearer {token}".encode())])
        finally:
            await producer.stop()

        # S1: days 11..20 in one batch of 10 x 300, and day 21 alone, 120 minutes
        s1_batch = [activity(S1, n, 300) for n in range(11, 21)]
        results = check(await intake.post("/v1/activities/batch", headers=staff[S1],
                                          json=s1_batch), 200)
        assert [r["status"] for r in results] == ["accepted"] * 10, results
        s1_extra = activity(S1, 21, 120)
        check(await intake.post("/v1/activities", headers=staff[S1], json=s1_extra))
        # S2: days 1..16 one request each, 300 minutes
        s2 = [activity(S2, n, 300) for n in range(1, 17)]
        for body in s2:
            check(await intake.post("/v1/activities", headers=staff[S2], json=body))
        # S4: days 1..18 in one batch, 300 minutes
        s4 = [activity(S4, n, 300) for n in range(1, 19)]
        results = check(await intake.post("/v1/activities/batch", headers=staff[S4],
                                          json=s4), 200)
        assert {r["status"] for r in results} == {"accepted"}, results

        # -- the head's pending queue, before any validation ---------------------------------
        async def full_queue() -> list[dict[str, Any]]:
            queue = check(await appraisal.get(f"/v1/superiors/{HEAD}/pending", headers=head),
                          200)
            # 10 + 10 + 1 (S1) + 16 (S2) + 12 (S3) + 18 (S4) = 67; the retries add nothing
            assert len(queue) == 67, len(queue)
            return queue  # type: ignore[no-any-return]

        queue = await eventually(full_queue, within=30)
        per_owner = {nip: sum(1 for item in queue if item["nip"] == nip) for nip in STAFF}
        assert per_owner == {S1: 21, S2: 16, S3: 12, S4: 18}
        assert all(isinstance(item["age_hours"], int | float) and 0 <= item["age_hours"] < 1
                   for item in queue), queue[:3]
        assert [item["reported_at"] for item in queue] == sorted(i["reported_at"] for i in queue)
        by_source = {(i["nip"], i["source"]) for i in queue}
        assert by_source == {(S1, ESAMSAT), (S1, "app"), (S2, "app"), (S3, ESAMSAT),
                             (S4, "app")}
        ids = {item["activity_id"] for item in queue}
        assert {a["activity_id"] for a in s1_kafka + s3_kafka} <= ids
        assert retries[1]["activity_id"] not in ids  # answered as the original, not stored

        # -- validations by the head --------------------------------------------------------
        async def decide(body: dict[str, Any], decision: str, note: str | None = None) -> None:
            check(await intake.post(f"/v1/activities/{body['activity_id']}/decision",
                                    headers=head, json={"decision": decision, "note": note}))

        for body in s1_kafka + s1_batch:
            await decide(body, "approved")
        await decide(s1_extra, "rejected", "Bukan tugas pokok")
        for body in s2[:14]:
            await decide(body, "approved")
        await decide(s2[14], "rejected", "Duplikat")
        await decide(s2[15], "revision_requested", "Lengkapi keluaran")
        await decide(s2[15], "approved", "Sudah lengkap")  # supersedes the revision request
        for body in s3_kafka[:10]:
            await decide(body, "approved")
        for body in s3_kafka[10:]:
            await decide(body, "rejected", "Tidak ada bukti transaksi")
        for body in s4[:17]:
            await decide(body, "approved")
        # s4[17] stays pending: only validated minutes count

        # -- 360 reviews (the relation is derived by intake) --------------------------------
        reviews = [
            (head, S1, flat(90), "superior"),
            (head, S2, flat(60), "superior"),
            (head, S2, flat(80), "superior"),  # a resubmission replaces the first
            (head, S3, flat(70), "superior"),
            (head, S4, {"integritas": 80, "pelayanan": 85, "komitmen": 90, "disiplin": 75,
                        "kerja_sama": 70}, "superior"),
            (staff[S2], S1, flat(80), "peer"),
            (staff[S3], S1, flat(85), "peer"),
            (staff[S4], S1, flat(90), "peer"),
            (staff[S1], S2, flat(70), "peer"),
            (staff[S3], S2, flat(80), "peer"),
            (staff[S2], S3, flat(60), "peer"),
            (staff[S1], HEAD, flat(80, STRUCTURAL), "subordinate"),
            (staff[S2], HEAD, flat(90, STRUCTURAL), "subordinate"),
            (staff[S3], HEAD, flat(100, STRUCTURAL), "subordinate"),
        ]
        for rater, ratee, scores, relation in reviews:
            answer = check(await intake.post("/v1/reviews", headers=rater, json={
                "period": PERIOD, "ratee_nip": ratee, "scores": scores}))
            assert answer["relation"] == relation

        # -- before the close S4's last day is pending -------------------------------------
        async def s4_pending() -> None:
            month = check(await appraisal.get(f"/v1/employees/{S4}/months/{PERIOD}",
                                              headers=head), 200)
            assert month["minutes"]["pending_minutes"] == 300, month["minutes"]
            assert month["minutes"]["approved_minutes"] == 5100, month["minutes"]

        await eventually(s4_pending, within=30)

        # -- the admin closes the month early; afterwards nothing in it changes --------------
        check(await intake.post(f"/v1/periods/{PERIOD}/close", headers=admin))
        late = await intake.post("/v1/activities", headers=staff[S2], json=activity(S2, 20, 60))
        assert late.status_code == 409, late.text
        assert late.json()["error"]["code"] == "period_closed"
        late_decision = await intake.post(f"/v1/activities/{s4[17]['activity_id']}/decision",
                                          headers=head, json={"decision": "approved"})
        assert late_decision.status_code == 409, late_decision.text
        assert late_decision.json()["error"]["code"] == "period_closed"
        late_review = await intake.post("/v1/reviews", headers=staff[S4], json={
            "period": PERIOD, "ratee_nip": S2, "scores": flat(10)})
        assert late_review.status_code == 409, late_review.text

        # -- eligibility, against the figures worked out by hand above -----------------------
        weights_peer = "weights 60/40 (results/behaviour) because peers or subordinates rated"
        final = "final: the period is closed"
        expected = {
            S1: row(S1, 6000, 100.0, 88.3, 95.3, "Sangat Baik", 100.0, [
                "approved 6,000 of 6,000 minutes (100.0%)",
                "360 score 88.3 (Baik) from 1 superior, 3 peers", weights_peer,
                "score 95.3", "category Sangat Baik -> allowance 100%", final]),
            S2: row(S2, 4500, 75.0, 78.3, 76.3, "Baik", 100.0, [
                "approved 4,500 of 6,000 minutes (75.0%)",
                "360 score 78.3 (Baik) from 1 superior, 2 peers", weights_peer,
                "score 76.3", "category Baik -> allowance 100%", final]),
            S3: row(S3, 2400, 40.0, 66.7, 50.7, "Buruk", 80.0, [
                "approved 2,400 of 6,000 minutes (40.0%)",
                "360 score 66.7 (Cukup) from 1 superior, 1 peer", weights_peer,
                "score 50.7", "category Buruk -> allowance 80%", final]),
            S4: row(S4, 5100, 85.0, 80.0, 83.5, "Baik", 80.0, [
                "approved 5,100 of 6,000 minutes (85.0%)",
                "360 score 80.0 (Baik) from 1 superior",
                "weights 70/30 (results/behaviour) because only the superior rated",
                "score 83.5", "category Baik -> allowance 100%",
                "CPNS: 80% of the allowance", final]),
            HEAD: row(HEAD, 0, 0.0, 90.0, 36.0, "Buruk", 65.0, [
                "approved 0 of 6,000 minutes (0.0%)",
                "360 score 90.0 (Baik) from 3 subordinates", weights_peer,
                "score 36.0", "no activity reported in the month -> allowance 65%", final]),
        }

        async def all_final() -> dict[str, Any]:
            page = check(await appraisal.get(f"/v1/periods/{PERIOD}/eligibility",
                                             params={"unit": UNIT}, headers=dashboard), 200)
            assert page["total"] == 5, page
            assert {item["nip"]: item for item in page["items"]} == expected
            return page  # type: ignore[no-any-return]

        await eventually(all_final, within=30)

        # S4's last activity was still waiting: it left the head's queue
        queue = check(await appraisal.get(f"/v1/superiors/{HEAD}/pending", headers=head), 200)
        assert queue == []
        waiting = check(await appraisal.get(f"/v1/activities/{s4[17]['activity_id']}",
                                            headers=staff[S4]), 200)
        assert waiting["status"] == "not_validated"
        assert [(h["status"], h["actor"]) for h in waiting["history"]] == [
            ("pending", S4), ("not_validated", "admin")]

        # -- each employee's month ----------------------------------------------------------
        minutes = {  # pending, approved, rejected, revision requested, not validated in time,
            S1: (0, 6000, 120, 0, 0, 21),  # activities reported
            S2: (0, 4500, 300, 0, 0, 16),
            S3: (0, 2400, 480, 0, 0, 12),
            S4: (0, 5100, 0, 0, 300, 18),  # the day left pending at the close
        }
        auditor = system.auth("bpk-auditor", "auditor")
        months = {}
        for nip in (*STAFF, HEAD):
            months[nip] = check(await appraisal.get(f"/v1/employees/{nip}/months/{PERIOD}",
                                                    headers=auditor), 200)
            assert months[nip]["eligibility"] == expected[nip]
        for nip, figures in minutes.items():
            got = months[nip]["minutes"]
            assert (got["pending_minutes"], got["approved_minutes"], got["rejected_minutes"],
                    got["revision_minutes"], got["not_validated_minutes"],
                    got["activities"]) == figures, (nip, got)
        assert months[HEAD]["minutes"] is None  # the head reported nothing

        behaviour = {nip: months[nip]["behaviour"] for nip in months}
        assert behaviour[S1]["raters"] == {"superior": 1, "peer": 3}
        assert behaviour[S1]["detail"] == {
            "superior": {"raters": 1, "mean": 90.0, "indicators": flat(90.0)},
            "peer": {"raters": 3, "mean": 85.0, "indicators": flat(85.0)},  # (80+85+90)/3
        }
        # two peers are below the minimum of three: counted in the score, detail hidden
        assert behaviour[S2]["raters"] == {"superior": 1, "peer": 2}
        assert behaviour[S2]["detail"] == {
            "superior": {"raters": 1, "mean": 80.0, "indicators": flat(80.0)}}
        assert behaviour[S3]["raters"] == {"superior": 1, "peer": 1}
        assert set(behaviour[S3]["detail"]) == {"superior"}
        assert behaviour[S4]["raters"] == {"superior": 1}
        assert behaviour[S4]["detail"]["superior"] == {
            "raters": 1, "mean": 80.0, "indicators": {
                "integritas": 80.0, "pelayanan": 85.0, "komitmen": 90.0, "disiplin": 75.0,
                "kerja_sama": 70.0}}
        assert behaviour[HEAD]["raters"] == {"subordinate": 3}
        assert behaviour[HEAD]["detail"] == {  # (80+90+100)/3 = 90, leadership included
            "subordinate": {"raters": 3, "mean": 90.0, "indicators": flat(90.0, STRUCTURAL)}}
        assert (behaviour[S1]["score"], behaviour[S2]["score"], behaviour[S3]["score"],
                behaviour[S4]["score"], behaviour[HEAD]["score"]) == (88.3, 78.3, 66.7, 80.0,
                                                                      90.0)

        # -- supersession: the revision request, then the approval ---------------------------
        revised = check(await appraisal.get(f"/v1/activities/{s2[15]['activity_id']}",
                                            headers=staff[S2]), 200)
        assert revised["status"] == "approved"
        assert [(h["status"], h["note"]) for h in revised["history"]] == [
            ("pending", None), ("revision_requested", "Lengkapi keluaran"),
            ("approved", "Sudah lengkap")]
        from_counter = check(await appraisal.get(f"/v1/activities/{s1_kafka[1]['activity_id']}",
                                                 headers=staff[S1]), 200)
        assert (from_counter["source"], from_counter["external_ref"]) == (ESAMSAT, "TRX-S1-02")

        # -- the unit's roll-up ---------------------------------------------------------------
        unit = check(await appraisal.get(f"/v1/units/{UNIT}/months/{PERIOD}",
                                         headers=dashboard), 200)
        assert unit["employees_reporting"] == 4
        assert unit["minutes"] == {
            "pending": 0,
            "approved": 6000 + 4500 + 2400 + 5100,  # = 18,000
            "rejected": 120 + 300 + 480,          # = 900
            "revision_requested": 0,              # the one request was superseded
            "not_validated": 300,                 # S4's last day, pending at the close
        }
        assert unit["categories"] == {"Sangat Baik": 1, "Baik": 2, "Buruk": 2}


def row(nip: str, approved: int, results: float, behaviour: float, score: float,
        category: str, allowance: float, reasons: list[str]) -> dict[str, Any]:
    return {"nip": nip, "period": PERIOD, "unit": UNIT, "policy_version": POLICY,
            "approved_minutes": approved, "target_minutes": 6000, "results_pct": results,
            "behaviour_score": behaviour, "score": score, "category": category,
            "allowance_pct": allowance, "state": "final", "reasons": reasons,
            "objection": None, "payable": True,  # final, nobody objected
            "pace": None}  # a closed month has no pace
