"""Issue 12's money month over the real stack (both services as processes, real Kafka and
PostgreSQL, ERK_CLOCK_AT): July 2026 for a unit of a head and four staff, from the roster to
the paid listing. Activities validated, 360 reviews, attendance (on time, late in each tier,
leaving early, an absence justified in time and approved, one justified too late), finance
data recorded by an admin, July closed on 4 August, an objection filed, the treasurer's
listing (JSON, CSV, XLSX), deductions recap and PDF recap, then the SP2D. Every amount is
worked out by hand below (docs/payroll.md: each amount rounded once to whole Rupiah, half
up, later amounts from the rounded ones; docs/attendance.md: 100 % minus the tier
deductions).

Policy: the default (60/40 performance/discipline, CPNS 0.8, cap Rp 50,000,000, tax 5 %,
office base: class 5 13,836,000, 6 16,498,000, 7 19,161,000, 8 21,824,000, 9 24,486,000),
published as e2e-money-1 with a 100-day backdating window.

Performance (target 6,000 minutes; only the superior rates the staff: weights 70/30):
- HEAD (PNS, class 9): reports nothing -> allowance 65 %.
- ANA (PNS, class 5): 13 x 480 = 6,240 -> 100 %; 360 90; 0.7*100 + 0.3*90 = 97 Sangat
  Baik -> 100 %.
- BUDI (PNS, class 7): 6,240 -> 100 %; 360 80; 0.7*100 + 0.3*80 = 94 Sangat Baik -> 100 %.
- CITRA (PNS, class 8): 8 x 480 + 360 = 4,200 -> 70 %; 360 80; 0.7*70 + 0.3*80 = 49 + 24
  = 73 Cukup -> 90 %.
- DEDI (CPNS, class 6): 6,240 -> 100 %; 360 80 -> 94 Sangat Baik -> 100 % (the payroll
  applies the CPNS 80 % to the base, not to this percentage).

Discipline (July 2026: 23 weekdays, no holiday; 07:30-16:00; tiers 0.5 / 1 / 1.25 / 1.5 %,
absence 3 % a day):
- HEAD, ANA, DEDI: on time every day -> 100.
- BUDI: late 10, 40, 75, 120 minutes (one day in each tier: 0.5 + 1 + 1.25 + 1.5) and
  15 minutes early once (0.5) -> 100 - 4.75 = 95.25.
- CITRA: away on the 8th (sick, justified in time, approved) and the 9th (justified on
  4 August, past the 3rd: refused) -> 100 - 3 = 97.
"""

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from shared.policy import default_policy_path, load_policy
from tests.e2e.conftest import Restart
from tests.e2e.support import System, eventually

pytestmark = pytest.mark.e2e

UNIT, PERIOD, POLICY = "E2E-MONEY", "2026-07", "e2e-money-1"
KEPALA = "196804111993031009"  # the head's superior, in another unit: decides objections
HEAD, ANA = "197504122000031001", "198801152010012002"
BUDI, CITRA = "199002202014031003", "199105052015032004"
DEDI = "199807072025011005"
UNIT_STAFF = (HEAD, ANA, BUDI, CITRA, DEDI)  # by NIP, as the listing orders them
JULY = [date(2026, 7, 1) + timedelta(days=n) for n in range(31)]
WEEKDAYS = [day for day in JULY if day.weekday() < 5]
BUDI_LATE = {1: "07:40", 2: "08:10", 3: "08:45", 6: "09:30"}
CITRA_AWAY = (8, 9)
NON_STRUCTURAL = ("integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama")
STRUCTURAL = (*NON_STRUCTURAL, "kepemimpinan")

# Amounts by hand (entitled = base x factor; parts 60/40 of it; shares = part x %):
# HEAD  24,486,000 x 1 = 24,486,000; performance part 14,691,600, discipline part 9,794,400;
#       14,691,600 x 65 % = 9,549,540; 9,794,400 x 100 % = 9,794,400; gross 19,343,940;
#       deductions 24,486,000 - 19,343,940 = 5,142,060; tax 19,343,940 x 5 % = 967,197.0;
#       net 19,343,940 - 967,197 = 18,376,743
# ANA   13,836,000; parts 8,301,600 / 5,534,400, both paid in full; gross 13,836,000;
#       deductions 0; tax 691,800; net 13,144,200
# BUDI  19,161,000; parts 11,496,600 / 7,664,400; 11,496,600 x 100 % = 11,496,600;
#       7,664,400 x 95.25 % = 7,300,341.0; gross 18,796,941; deductions 364,059;
#       tax 939,847.05 -> 939,847; net 17,857,094
# CITRA 21,824,000; parts 13,094,400 / 8,729,600; 13,094,400 x 90 % = 11,784,960;
#       8,729,600 x 97 % = 8,467,712; gross 20,252,672; deductions 1,309,440 + 261,888 =
#       1,571,328; tax 1,012,633.6 -> 1,012,634 (rounded up); net 19,240,038
# DEDI  16,498,000 x 0.8 = 13,198,400; parts 7,919,040 / 5,279,360, both in full;
#       gross 13,198,400; deductions 0; tax 659,920; net 12,538,480
# columns: base, entitled, performance_share, discipline_share, deductions, gross, tax, net
AMOUNTS = {
    HEAD: (24_486_000, 24_486_000, 9_549_540, 9_794_400, 5_142_060, 19_343_940, 967_197,
           18_376_743),
    ANA: (13_836_000, 13_836_000, 8_301_600, 5_534_400, 0, 13_836_000, 691_800, 13_144_200),
    BUDI: (19_161_000, 19_161_000, 11_496_600, 7_300_341, 364_059, 18_796_941, 939_847,
           17_857_094),
    CITRA: (21_824_000, 21_824_000, 11_784_960, 8_467_712, 1_571_328, 20_252_672, 1_012_634,
            19_240_038),
    DEDI: (16_498_000, 13_198_400, 7_919_040, 5_279_360, 0, 13_198_400, 659_920,
           12_538_480),
}
AMOUNT_COLUMNS = ("base", "entitled", "performance_share", "discipline_share", "deductions",
                  "gross", "tax", "net")
# Totals, added up by hand:
# entitled 24,486,000 + 13,836,000 + 19,161,000 + 21,824,000 + 13,198,400 = 92,505,400
# performance 9,549,540 + 8,301,600 + 11,496,600 + 11,784,960 + 7,919,040 = 49,051,740
# discipline 9,794,400 + 5,534,400 + 7,300,341 + 8,467,712 + 5,279,360 = 36,376,213
# deductions 5,142,060 + 0 + 364,059 + 1,571,328 + 0 = 7,077,447
# gross 49,051,740 + 36,376,213 = 85,427,953
# tax 967,197 + 691,800 + 939,847 + 1,012,634 + 659,920 = 4,271,398
# net 85,427,953 - 4,271,398 = 81,156,555
TOTALS = {"entitled": 92_505_400, "performance_share": 49_051_740,
          "discipline_share": 36_376_213, "deductions": 7_077_447, "gross": 85_427_953,
          "tax": 4_271_398, "net": 81_156_555}
SP2D = {"period": PERIOD, "unit": UNIT, "sp2d_number": "00777/SP2D/2026",
        "sp2d_date": "2026-08-04"}


@pytest.fixture(scope="module")
def clock_at() -> str:
    """31 July 2026, 18:00 WIB: the month's days are over, its deadlines still ahead."""
    return "2026-07-31T18:00:00+07:00"


def check(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def npwp(nip: str) -> str:
    return f"0{nip[:15]}"  # a 15-digit NPWP written with its leading 0


def punches(nip: str, day: date) -> list[dict[str, Any]]:
    check_in, check_out = "07:25", "16:05"
    if nip == BUDI:
        check_in = BUDI_LATE.get(day.day, "07:30")
        check_out = "15:45" if day.day == 7 else "16:00"
    return [{"device_record_id": f"FP9-{nip[-4:]}-{day:%m%d}-{kind}", "nip": nip,
             "day": day.isoformat(), "kind": kind, "time": time}
            for kind, time in (("check_in", check_in), ("check_out", check_out))]


def activities(nip: str, minutes: list[int]) -> list[dict[str, Any]]:
    days = [day for day in WEEKDAYS if day.day not in CITRA_AWAY]
    return [{"activity_id": str(uuid.uuid4()), "nip": nip, "work_date": day.isoformat(),
             "minutes": spent, "description": "Pengelolaan gaji dan tunjangan"}
            for day, spent in zip(days, minutes, strict=False)]


async def set_up_unit(system: System, intake: httpx.AsyncClient) -> None:
    admin = system.auth("admin", "admin")
    policy = load_policy(default_policy_path()).model_copy(update={
        "version": POLICY, "effective_from": PERIOD, "backdating_days": 100})
    check(await intake.post("/v1/policies", headers=admin, json=policy.model_dump(mode="json")))
    people = [(KEPALA, "E2E-DINAS", True, "PNS", 12), (HEAD, UNIT, True, "PNS", 9),
              (ANA, UNIT, False, "PNS", 5), (BUDI, UNIT, False, "PNS", 7),
              (CITRA, UNIT, False, "PNS", 8), (DEDI, UNIT, False, "CPNS", 6)]
    for nip, unit, structural, kind, job_class in people:
        check(await intake.post("/v1/employees", headers=admin, json={
            "nip": nip, "name": f"Pegawai {nip[-4:]}", "unit": unit, "position": "Analis",
            "structural": structural, "employment_type": kind, "job_class": job_class}))
    for nip in UNIT_STAFF:
        check(await intake.post("/v1/reporting-lines", headers=admin, json={
            "nip": nip, "superior_nip": KEPALA if nip == HEAD else HEAD,
            "effective_from": "2026-01-01"}))
        check(await intake.put(f"/v1/employees/{nip}/finance", headers=admin, json={
            "npwp": npwp(nip), "bank_name": "Bank Jatim", "bank_account": f"00{nip[-8:]}"}))


async def work_the_month(system: System, intake: httpx.AsyncClient) -> None:
    head = system.auth(HEAD, "superior")
    full, short = [480] * 13, [480] * 8 + [360]  # 6,240 and 4,200 minutes
    for nip, minutes in ((ANA, full), (BUDI, full), (CITRA, short), (DEDI, full)):
        reported = activities(nip, minutes)
        answered = check(await intake.post("/v1/activities/batch", json=reported,
                                           headers=system.auth(nip, "employee")), 200)
        assert {item["status"] for item in answered} == {"accepted"}, answered
        for body in reported:
            check(await intake.post(f"/v1/activities/{body['activity_id']}/decision",
                                    headers=head, json={"decision": "approved"}))
    for rater, ratee, score, indicators in (
            (head, ANA, 90, NON_STRUCTURAL), (head, BUDI, 80, NON_STRUCTURAL),
            (head, CITRA, 80, NON_STRUCTURAL), (head, DEDI, 80, NON_STRUCTURAL),
            (system.auth(KEPALA, "superior"), HEAD, 85, STRUCTURAL)):
        answer = check(await intake.post("/v1/reviews", headers=rater, json={
            "period": PERIOD, "ratee_nip": ratee, "scores": dict.fromkeys(indicators, score)}))
        assert answer["relation"] == "superior"

    feed = system.auth("fp-bkpsdm", "eservice")
    records = [record for nip in UNIT_STAFF for day in WEEKDAYS
               if not (nip == CITRA and day.day in CITRA_AWAY) for record in punches(nip, day)]
    for start in range(0, len(records), 50):
        answered = check(await intake.post("/v1/attendance/batch", headers=feed,
                                           json=records[start:start + 50]), 200)
        assert {item["status"] for item in answered} == {"accepted"}, answered


SICK = {"justification_id": "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98", "nip": CITRA,
        "first_day": "2026-07-08", "last_day": "2026-07-08", "reason": "sick",
        "evidence_ref": "SKD-PKM-0708"}


async def justify_in_time(system: System, intake: httpx.AsyncClient) -> None:
    check(await intake.post("/v1/absence-justifications", headers=system.auth(CITRA, "employee"),
                            json=SICK))
    decided = check(await intake.post(
        f"/v1/absence-justifications/{SICK['justification_id']}/decision",
        headers=system.auth(HEAD, "superior"), json={"decision": "approved", "note": "SKD"}))
    assert decided["status"] == "approved"


async def close_on_4_august(system: System, intake: httpx.AsyncClient) -> None:
    late = await intake.post("/v1/absence-justifications", headers=system.auth(CITRA, "employee"),
                             json={**SICK, "justification_id": str(uuid.uuid4()),
                                   "first_day": "2026-07-09", "last_day": "2026-07-09"})
    assert late.status_code == 409, late.text
    assert late.json()["error"]["code"] == "justification_too_late"
    early = await intake.post("/v1/objections", headers=system.auth(DEDI, "employee"),
                              json={"period": PERIOD, "reasons": "Kegiatan tanggal 20 hilang"})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "result_not_final")
    check(await intake.post(f"/v1/periods/{PERIOD}/close", headers=system.auth("admin", "admin"),
                            json={}))
    check(await intake.post("/v1/objections", headers=system.auth(DEDI, "employee"),
                            json={"period": PERIOD, "reasons": "Kegiatan tanggal 20 hilang"}))


async def test_a_money_month(system: System, restart: Restart) -> None:
    treasurer = system.auth("bendahara", "treasurer")
    async with httpx.AsyncClient(base_url=system.intake_url, timeout=30) as intake, \
            httpx.AsyncClient(base_url=system.appraisal_url, timeout=30) as appraisal:
        await set_up_unit(system, intake)
        await work_the_month(system, intake)
        await justify_in_time(system, intake)

        async def attendance_in() -> None:  # July's records are applied before it closes
            for nip, present in ((BUDI, 23), (CITRA, 21)):
                got = await appraisal.get(f"/v1/employees/{nip}/discipline/{PERIOD}",
                                          headers=system.auth("admin", "admin"))
                assert got.status_code == 200 and got.json()["days_present"] == present, got.text
        await eventually(attendance_in, within=60)

        await restart("intake", ERK_CLOCK_AT="2026-08-04T08:00:00+07:00")
        await close_on_4_august(system, intake)
        document = await eventually(lambda: settled(system, appraisal), within=60)
        await assert_listing(system, appraisal, document)

        refused = await intake.post("/v1/payments", headers=treasurer,
                                    json={**SP2D, "sp2d_date": "2026-08-05"})  # after today
        assert refused.json()["error"]["code"] == "sp2d_in_future", refused.text
        check(await intake.post("/v1/payments", headers=treasurer, json=SP2D))

        async def paid() -> dict[str, Any]:
            got = check(await appraisal.get(payroll_url(), headers=treasurer), 200)
            assert got["payment"] == {"sp2d_number": SP2D["sp2d_number"],
                                      "sp2d_date": SP2D["sp2d_date"]}, got["payment"]
            return got  # type: ignore[no-any-return]
        after = await eventually(paid, within=30)
        assert {r["nip"]: r["status"] for r in after["rows"]} == {
            HEAD: "paid", ANA: "paid", BUDI: "paid", CITRA: "paid",
            DEDI: "under_objection"}  # the objection still holds DEDI's payment
        rows = {r["nip"]: r for r in after["rows"]}
        assert rows[ANA]["reasons"][-1] == "paid: SP2D 00777/SP2D/2026 of 2026-08-04"
        listed = read_csv(await download(appraisal, treasurer, "listing.csv"))
        assert {row["nip"]: (row["status"], row["sp2d_number"], row["sp2d_date"])
                for row in listed[:-1]} == {
            **{nip: ("paid", "00777/SP2D/2026", "2026-08-04") for nip in UNIT_STAFF},
            DEDI: ("under_objection", "", "")}  # the SP2D did not pay DEDI's row


def payroll_url(name: str = "") -> str:
    return f"/v1/periods/{PERIOD}/units/{UNIT}/payroll" + (f"/{name}" if name else "")


async def settled(system: System, appraisal: httpx.AsyncClient) -> dict[str, Any]:
    """Once July is final everywhere and DEDI's objection has reached the payroll."""
    admin = system.auth("admin", "admin")
    for nip in UNIT_STAFF:
        got = await appraisal.get(f"/v1/employees/{nip}/discipline/{PERIOD}", headers=admin)
        assert got.status_code == 200 and got.json()["state"] == "final", got.text
    got = check(await appraisal.get(payroll_url(), headers=system.auth("b", "treasurer")), 200)
    assert len(got["rows"]) == 5, got
    assert {r["nip"]: r["status"] for r in got["rows"]}[DEDI] == "under_objection", got["rows"]
    return got  # type: ignore[no-any-return]


async def download(appraisal: httpx.AsyncClient, headers: dict[str, str],
                   name: str) -> httpx.Response:
    got = await appraisal.get(payroll_url(name), headers=headers)
    assert got.status_code == 200, got.text
    return got


def read_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert "\r\n" in response.text
    return list(csv.DictReader(io.StringIO(response.text, newline="")))


async def assert_listing(system: System, appraisal: httpx.AsyncClient,
                         document: dict[str, Any]) -> None:
    admin, treasurer = system.auth("admin", "admin"), system.auth("bendahara", "treasurer")
    eligibility = check(await appraisal.get(f"/v1/periods/{PERIOD}/eligibility",
                                            params={"unit": UNIT}, headers=admin), 200)
    assert {i["nip"]: (i["allowance_pct"], i["state"], i["objection"], i["payable"])
            for i in eligibility["items"]} == {
        HEAD: (65.0, "final", None, True), ANA: (100.0, "final", None, True),
        BUDI: (100.0, "final", None, True), CITRA: (90.0, "final", None, True),
        DEDI: (80.0, "final", "under_objection", False)}
    discipline = {nip: check(await appraisal.get(
        f"/v1/employees/{nip}/discipline/{PERIOD}", headers=admin), 200)["percentage"]
        for nip in UNIT_STAFF}
    assert discipline == {HEAD: 100.0, ANA: 100.0, BUDI: 95.25, CITRA: 97.0, DEDI: 100.0}

    # the JSON listing
    assert [r["nip"] for r in document["rows"]] == list(UNIT_STAFF)
    assert {r["nip"]: tuple(r[c] for c in AMOUNT_COLUMNS) for r in document["rows"]} == AMOUNTS
    assert {r["nip"]: r["status"] for r in document["rows"]} == {
        **dict.fromkeys(UNIT_STAFF, "payable"), DEDI: "under_objection"}
    assert document["totals"] == TOTALS
    assert (document["closed"], document["policy_versions"], document["payment"]) == (
        True, POLICY, None)
    position = document["position"]

    # the CSV: every row and the TOTAL row, and the totals added up again from the rows
    listed = read_csv(await download(appraisal, treasurer, "listing.csv"))
    body, total = listed[:-1], listed[-1]
    assert [row["nip"] for row in body] == list(UNIT_STAFF) and total["nip"] == "TOTAL"
    assert {row["nip"]: tuple(int(row[c]) for c in AMOUNT_COLUMNS) for row in body} == AMOUNTS
    assert {c: int(total[c]) for c in TOTALS} == TOTALS
    assert {c: sum(int(row[c]) for row in body) for c in TOTALS} == TOTALS
    assert {row["nip"]: (row["npwp"], row["bank_account"], row["job_class"],
                         row["employment_type"]) for row in body} == {
        nip: (npwp(nip), f"00{nip[-8:]}", klass, kind) for nip, klass, kind in (
            (HEAD, "9", "PNS"), (ANA, "5", "PNS"), (BUDI, "7", "PNS"), (CITRA, "8", "PNS"),
            (DEDI, "6", "CPNS"))}
    assert {(row["period"], row["unit"], row["position"], row["policy_version"])
            for row in body} == {(PERIOD, UNIT, str(position), POLICY)}
    assert (total["period"], total["unit"], total["position"]) == (PERIOD, UNIT, str(position))
    assert {row["status"] for row in body} == {"payable", "under_objection"}

    # the XLSX holds the same cells
    book = load_workbook(io.BytesIO((await download(appraisal, treasurer,
                                                    "listing.xlsx")).content))
    sheet = [["" if v is None else str(v) for v in row]
             for row in book["Listing"].iter_rows(values_only=True)]
    assert sheet[1:] == [list(row.values()) for row in listed]

    # the deductions recap: performance cuts HEAD 14,691,600 - 9,549,540 = 5,142,060 and
    # CITRA 13,094,400 - 11,784,960 = 1,309,440 -> 6,451,500; discipline cuts BUDI
    # 7,664,400 - 7,300,341 = 364,059 and CITRA 8,729,600 - 8,467,712 = 261,888 -> 625,947;
    # no cap cut; 6,451,500 + 625,947 = 7,077,447
    cuts = read_csv(await download(appraisal, treasurer, "deductions.csv"))
    assert {row["nip"]: (int(row["performance_cut"]), int(row["discipline_cut"]),
                         int(row["cap_cut"]), int(row["deductions"])) for row in cuts} == {
        HEAD: (5_142_060, 0, 0, 5_142_060), ANA: (0, 0, 0, 0), BUDI: (0, 364_059, 0, 364_059),
        CITRA: (1_309_440, 261_888, 0, 1_571_328), DEDI: (0, 0, 0, 0),
        "TOTAL": (6_451_500, 625_947, 0, 7_077_447)}

    # the PDF, opened and read
    pdf = (await download(appraisal, treasurer, "recap.pdf")).content
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
                    .split())
    for expected in (f"{UNIT}, {PERIOD}", f"Period {PERIOD} (closed)", f"policy {POLICY}",
                     f"computed at event position {position}", "5 employees",
                     "payment: not paid yet", "Entitled (base x employment factor) Rp 92.505.400",
                     "Performance share Rp 49.051.740", "Discipline share Rp 36.376.213",
                     "Gross Rp 85.427.953", "Income tax (PPh 21) Rp 4.271.398",
                     "Net paid Rp 81.156.555", "Total deductions Rp 7.077.447",
                     "Rp 19.240.038", "under_objection", f"Head of unit {UNIT}",
                     "Treasurer (Bendahara)"):
        assert expected in text, (expected, text)
