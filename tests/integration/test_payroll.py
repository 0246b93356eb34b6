"""The payroll on the real stack: a unit's March made through intake's handlers (a head of
class 12 who reported nothing, staff of classes 8 and 5 and a CPNS of class 7), finance data
entered over intake's HTTP API, relayed through Kafka into appraisal's PostgreSQL
projections; then the listing, its files and their reproducibility, the SP2D, and
``audit verify-listing``. Every expected amount is worked out by hand beside it."""

import asyncio
import io
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka.admin import NewTopic
from history_data import ADMIN, KAFKA, consume_into, publish_all, run, workdays
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.adapters.payroll_files import listing_table
from services.appraisal.bootstrap import build_app as appraisal_app
from services.appraisal.service_layer import replay as rp
from services.appraisal.service_layer.payroll import listing
from services.appraisal.service_layer.payroll_audit import ListingCheck, verify_listing
from services.appraisal.settings import AppraisalSettings
from services.intake.adapters.tables import events
from services.intake.bootstrap import build_app as intake_app
from services.intake.domain import commands as c
from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role, issue_token
from shared.clock import FixedClock
from shared.db import make_engine
from shared.kafka import admin as kafka_admin
from shared.keystore_pg import opened_with_keys
from shared.policy import default_policy_path, load_policy
from shared.settings import AuthSettings
from tests.support.pseudonyms import pseudonyms

pytestmark = pytest.mark.integration

HEAD, A, B, CPNS = ("196804111993031009", "199001012015032001", "198505052010011002",
                    "197512312000121003")
UNIT, PERIOD = "BKPSDM", "2026-03"
ROOT = Path(__file__).resolve().parents[2]
JAKARTA = ZoneInfo("Asia/Jakarta")
NPWP = {A: "3201014101900001", B: "3201010505850002", CPNS: "0123456789012345"}


def auth(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),  # type: ignore[call-arg]
                        timedelta(hours=12))
    return {"Authorization": f"Bearer {token}"}


TREASURER, AUDITOR = auth("bendahara", "treasurer"), auth("bpk", "auditor")
AS_ADMIN = auth("admin", "admin")


async def make_month(engine: AsyncEngine) -> None:
    """March 2026: A approves 13 x 480 = 6,240 minutes (capped at 100 %, Sangat Baik: 100 %),
    B 8 x 480 + 360 = 4,200 (70 %, Cukup: 90 %), the CPNS 10 x 480 = 4,800 (80 %, Baik:
    100 %), the head nothing (no report: 65 %); closed on 2 April."""
    await run(engine, ADMIN, load_policy(default_policy_path()), date(2026, 3, 1))
    for nip, job_class, kind in ((HEAD, 12, "PNS"), (A, 8, "PNS"), (B, 5, "PNS"),
                                 (CPNS, 7, "CPNS")):
        await run(engine, ADMIN, c.RegisterEmployee(
            nip=nip, name=f"Pegawai {nip[-4:]}", unit=UNIT, position="Analis",
            structural=nip == HEAD, employment_type=kind, job_class=job_class),  # type: ignore[arg-type]
            date(2026, 3, 1))
        if nip != HEAD:
            await run(engine, ADMIN, c.ChangeReportingLine(
                nip=nip, superior_nip=HEAD, effective_from=date(2026, 1, 1)), date(2026, 3, 1))
    for nip, minutes in ((A, [480] * 13), (B, [480] * 8 + [360]), (CPNS, [480] * 10)):
        for day, spent in zip(workdays(date(2026, 3, 2), len(minutes)), minutes, strict=True):
            activity = uuid.uuid4()
            await run(engine, Principal(nip, "employee"), c.ReportActivity(
                activity_id=activity, nip=nip, work_date=day, minutes=spent,
                description="Analisis jabatan"), day)
            await run(engine, Principal(HEAD, "superior"), c.DecideActivity(
                activity_id=activity, decision="approved"), day)
    await run(engine, ADMIN, c.ClosePeriod(period=PERIOD), date(2026, 4, 2))


@pytest.fixture(scope="module")
async def own_topic() -> AsyncIterator[str]:
    """A 3-partition events topic for the module (``create_topic`` is per test)."""
    admin = kafka_admin(KAFKA)
    await admin.start()
    name = f"erk.test.payroll.{uuid.uuid4().hex[:10]}"
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()


@pytest.fixture(scope="module")
async def stack(create_database: Callable[..., Awaitable[str]],
                own_topic: str) -> AsyncIterator[dict[str, Any]]:
    store_url, live_url = await create_database("intake"), await create_database("appraisal")
    topic = own_topic
    store, live = make_engine(store_url), make_engine(live_url)
    await make_month(store)
    clock = FixedClock(datetime(2026, 4, 13, 9, tzinfo=JAKARTA))
    intake = intake_app(IntakeSettings(database_url=store_url), run_relay=False,
                        run_ingress=False, clock=clock)
    appraisal = appraisal_app(AppraisalSettings(database_url=live_url), consume=False,
                              clock=clock)
    async with intake.router.lifespan_context(intake), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=intake),
                              base_url="http://intake") as to_intake, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=appraisal),
                              base_url="http://appraisal") as to_appraisal:
        world = {"store_url": store_url, "live_url": live_url, "topic": topic,
                 "store": store, "live": live, "intake": to_intake, "app": intake,
                 "appraisal": to_appraisal}
        for nip in (A, B, CPNS):
            entered = await to_intake.put(f"/v1/employees/{nip}/finance", headers=AS_ADMIN,
                                          json={"npwp": NPWP[nip], "bank_name": "Bank Jatim",
                                                "bank_account": f"00{nip[-8:]}"})
            assert entered.status_code == 201, entered.text
        await sync(world)
        yield world
    await store.dispose()
    await live.dispose()


async def sync(world: dict[str, Any]) -> None:
    """Relay the whole store to Kafka and apply it to the projections, as live."""
    async with world["store"].connect() as conn:
        head = int(await conn.scalar(select(func.max(events.c.position))) or 0)
    await publish_all(world["store_url"], world["store"], world["topic"], head)
    await consume_into(world["live"], world["topic"], 3)


async def stored(world: dict[str, Any]) -> int:
    async with world["store"].connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(events)) or 0)


# -- finance data: entry, strictness, who reads it ------------------------------------------------

async def test_finance_data_entry_is_the_admin_s_and_strict(stack: dict[str, Any]) -> None:
    before = await stored(stack)
    body = {"npwp": NPWP[A], "bank_name": "Bank Jatim", "bank_account": "0011223344"}
    put = stack["intake"].put
    refused = await put(f"/v1/employees/{A}/finance", headers=TREASURER, json=body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "role_not_allowed")
    bad = await put(f"/v1/employees/{A}/finance", headers=AS_ADMIN,
                    json={**body, "npwp": "3201013201900001"})  # birth day 32
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_npwp")
    assert "3201013201900001" not in bad.text
    typed = await put(f"/v1/employees/{A}/finance", headers=AS_ADMIN,
                      json={**body, "bank_account": 11223344})
    assert (typed.status_code, typed.json()["error"]["code"]) == (422, "invalid_request")
    unknown = await put("/v1/employees/199203152018012004/finance", headers=AS_ADMIN, json=body)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_employee")
    assert await stored(stack) == before


async def test_finance_data_is_masked_but_for_treasurer_and_admin(stack: dict[str, Any]) -> None:
    get = stack["appraisal"].get
    for headers in (TREASURER, AS_ADMIN):
        shown = (await get(f"/v1/employees/{A}/finance", headers=headers)).json()
        assert (shown["npwp"], shown["bank_account"], shown["masked"]) == (
            NPWP[A], "0015032001", False)
    for headers in (AUDITOR, auth(A, "employee")):
        shown = (await get(f"/v1/employees/{A}/finance", headers=headers)).json()
        assert (shown["npwp"], shown["bank_account"], shown["masked"]) == (
            "************0001", "******2001", True)
    other = await get(f"/v1/employees/{A}/finance", headers=auth(B, "employee"))
    assert other.status_code == 403
    masked = (await get(f"/v1/periods/{PERIOD}/units/{UNIT}/payroll", headers=AUDITOR)).json()
    assert {r["npwp"] for r in masked["rows"]} == {None, "************0001",
                                                   "************0002", "************2345"}


# -- the listing --------------------------------------------------------------------------------

# Without discipline figures (the default until attendance is wired) only the performance
# 60 % is paid: A 21,824,000 x 60 % = 13,094,400; B 13,836,000 x 60 % = 8,301,600 x 90 % =
# 7,471,440; the CPNS 19,161,000 x 80 % = 15,328,800 x 60 % = 9,197,280; the head
# 32,474,000 x 60 % = 19,484,400 x 65 % = 12,664,860. Tax 5 %: 654,720 + 373,572 +
# 459,864 + 633,243 (633,243.0) = 2,121,399.
GROSS = {A: 13_094_400, B: 7_471_440, CPNS: 9_197_280, HEAD: 12_664_860}
TAX = {A: 654_720, B: 373_572, CPNS: 459_864, HEAD: 633_243}


async def test_the_listing_over_http(stack: dict[str, Any]) -> None:
    got = await stack["appraisal"].get(f"/v1/periods/{PERIOD}/units/{UNIT}/payroll",
                                       headers=TREASURER)
    document = got.json()
    rows = {r["nip"]: r for r in document["rows"]}
    assert {nip: r["gross"] for nip, r in rows.items()} == GROSS
    assert {nip: r["tax"] for nip, r in rows.items()} == TAX
    assert {r["status"] for r in rows.values()} == {"provisional"}
    assert rows[CPNS]["entitled"] == 15_328_800
    assert "provisional: no discipline figure yet" in rows[A]["reasons"]
    assert document["totals"]["gross"] == 42_427_980
    assert document["totals"]["net"] == 42_427_980 - 2_121_399
    assert (document["closed"], document["policy_versions"]) == (True, "erk-default-2026.1")
    assert rows[A]["npwp"] == NPWP[A]
    employee = await stack["appraisal"].get(f"/v1/periods/{PERIOD}/units/{UNIT}/payroll",
                                            headers=auth(A, "employee"))
    assert employee.status_code == 403


async def discipline(conn: AsyncConnection, period: str, nips: Any) -> dict[str, Decimal]:
    """A fake of ``adapters.discipline.discipline_percentages``: the head has no figure."""
    return {A: Decimal("100"), B: Decimal("95"), CPNS: Decimal("90")}


async def test_amounts_with_discipline_figures(stack: dict[str, Any]) -> None:
    async with stack["live"].connect() as conn:
        found = await listing(conn, PERIOD, UNIT, discipline=discipline)
    rows = {row.payee.nip: row for row in found.rows}
    figures = {nip: (r.amounts.entitled, r.amounts.gross, r.amounts.deductions, r.amounts.tax,
                     r.amounts.net, r.status) for nip, r in rows.items()}
    assert figures == {
        # 21,824,000 in full; tax 1,091,200
        A: (21_824_000, 21_824_000, 0, 1_091_200, 20_732_800, "payable"),
        # 8,301,600 x 90 % = 7,471,440; 5,534,400 x 95 % = 5,257,680; tax 636,456
        B: (13_836_000, 12_729_120, 1_106_880, 636_456, 12_092_664, "payable"),
        # 15,328,800: 9,197,280 in full; 6,131,520 x 90 % = 5,518,368; tax 735,782.4
        CPNS: (15_328_800, 14_715_648, 613_152, 735_782, 13_979_866, "payable"),
        # no discipline figure: 12,664,860 as above; deductions 32,474,000 - 12,664,860
        HEAD: (32_474_000, 12_664_860, 19_809_140, 633_243, 12_031_617, "provisional"),
    }


# -- the files ------------------------------------------------------------------------------------

async def download(stack: dict[str, Any], name: str, headers: dict[str, str] = TREASURER,
                   period: str = PERIOD) -> httpx.Response:
    return await stack["appraisal"].get(f"/v1/periods/{period}/units/{UNIT}/payroll/{name}",
                                        headers=headers)


async def test_csv_listing_totals_and_reproducibility(stack: dict[str, Any]) -> None:
    first, second = await download(stack, "listing.csv"), await download(stack, "listing.csv")
    assert first.status_code == 200 and first.content == second.content
    lines = [line.split(",") for line in first.text.strip().split("\r\n")]
    head, body, total = lines[0], lines[1:-1], lines[-1]
    gross, tax, net = (head.index(name) for name in ("gross", "tax", "net"))
    assert {row[head.index("nip")]: int(row[gross]) for row in body} == GROSS
    assert sum(int(row[gross]) for row in body) == int(total[gross]) == 42_427_980
    assert sum(int(row[tax]) for row in body) == int(total[tax]) == 2_121_399
    assert int(total[net]) == 40_306_581
    assert total[head.index("nip")] == "TOTAL"
    assert {row[head.index("position")] for row in lines[1:]} == {str(await position(stack))}
    assert 'filename="tpp-2026-03-BKPSDM-' in first.headers["content-disposition"]


async def position(stack: dict[str, Any]) -> int:
    async with stack["live"].connect() as conn:
        return (await listing(conn, PERIOD, UNIT)).position


async def test_xlsx_is_reproducible_and_holds_the_listing(stack: dict[str, Any]) -> None:
    first, second = await download(stack, "listing.xlsx"), await download(stack, "listing.xlsx")
    assert first.status_code == 200 and first.content == second.content
    book = load_workbook(io.BytesIO(first.content))
    listing_rows = [[cell for cell in row] for row in book["Listing"].iter_rows(values_only=True)]
    csv_rows = [line.split(",") for line in
                (await download(stack, "listing.csv")).text.strip().split("\r\n")]
    assert [["" if v is None else str(v) for v in row] for row in listing_rows] == csv_rows
    deductions = list(book["Deductions"].iter_rows(values_only=True))
    assert deductions[-1][deductions[0].index("deductions")] == (
        # 32,474,000 - 12,664,860 + 21,824,000 - 13,094,400 + 13,836,000 - 7,471,440
        # + 15,328,800 - 9,197,280
        19_809_140 + 8_729_600 + 6_364_560 + 6_131_520)
    assert book.properties.created == datetime(2000, 1, 1)


async def test_pdf_recap(stack: dict[str, Any]) -> None:
    first, second = await download(stack, "recap.pdf"), await download(stack, "recap.pdf")
    assert first.status_code == 200 and first.content == second.content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(first.content)).pages)
    text = " ".join(text.split())
    for expected in ("Rekapitulasi TPP", "BKPSDM, 2026-03", "policy erk-default-2026.1",
                     f"computed at event position {await position(stack)}", "4 employees",
                     "Gross Rp 42.427.980", "Income tax (PPh 21) Rp 2.121.399",
                     "Net paid Rp 40.306.581", "Head of unit BKPSDM", "Treasurer (Bendahara)",
                     "Deductions recap", "not paid yet"):
        assert expected in text, expected


async def test_files_are_the_treasurer_s_for_a_closed_period(stack: dict[str, Any]) -> None:
    for name in ("listing.csv", "listing.xlsx", "deductions.csv", "recap.pdf"):
        for headers in (AUDITOR, auth(HEAD, "superior"), auth("dash", "dashboard")):
            assert (await download(stack, name, headers)).status_code == 403
    still_open = await download(stack, "listing.csv", AS_ADMIN, period="2026-04")
    assert (still_open.status_code, still_open.json()["error"]["code"]) == (
        409, "period_not_closed")


# -- audit verify-listing -------------------------------------------------------------------------

def source(stack: dict[str, Any]) -> rp.Source:
    return rp.Source("store", stack["store_url"], KAFKA, stack["topic"], 3, pseudonyms())


async def verified(data: bytes, stack: dict[str, Any]) -> ListingCheck:
    """``verify_listing`` with the session's key store (tests/conftest.py), as the CLI does."""
    async with opened_with_keys() as reveal:
        return await verify_listing(data, source(stack), reveal)


async def test_verify_listing_passes_and_names_a_tampered_row(stack: dict[str, Any]) -> None:
    data = (await download(stack, "listing.csv")).content
    good = await verified(data, stack)
    assert (good.ok, good.rows, good.period, good.unit) == (True, 4, PERIOD, UNIT)
    lines = data.decode().split("\r\n")
    cells = lines[2].split(",")
    net = lines[0].split(",").index("net")
    cells[net] = str(int(cells[net]) + 1000)
    tampered = "\r\n".join([*lines[:2], ",".join(cells), *lines[3:]]).encode()
    bad = await verified(tampered, stack)
    assert not bad.ok
    assert bad.difference is not None and bad.difference.startswith("row 3: column net is ")
    xlsx = await verified((await download(stack, "listing.xlsx")).content, stack)
    assert xlsx.ok


async def test_cli_export_and_verify_listing(stack: dict[str, Any], tmp_path: Path) -> None:
    env = {**os.environ, "APPRAISAL_DATABASE_URL": stack["live_url"],
           "INTAKE_DATABASE_URL": stack["store_url"], "ERK_KAFKA_EVENTS_TOPIC": stack["topic"]}
    cli = [sys.executable, "-m", "services.appraisal.entrypoints.cli"]

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                              check=False)

    out = tmp_path / "listing.csv"
    exported = await asyncio.to_thread(call, "payroll", "export", "--period", PERIOD, "--unit",
                                       UNIT, "--format", "csv", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert out.read_bytes() == (await download(stack, "listing.csv")).content
    at = tmp_path / "at.csv"
    replayed = await asyncio.to_thread(call, "payroll", "export", "--period", PERIOD, "--unit",
                                       UNIT, "--out", str(at), "--as-of",
                                       str(await position(stack)))
    assert replayed.returncode == 0, replayed.stderr
    assert at.read_bytes() == out.read_bytes()
    verified = await asyncio.to_thread(call, "audit", "verify-listing", str(out))
    assert verified.returncode == 0 and "VERIFIED" in verified.stdout, verified.stdout
    out.write_bytes(out.read_bytes().replace(b"Pegawai 1009", b"Pegawai 1010"))
    refused = await asyncio.to_thread(call, "audit", "verify-listing", str(out))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    said = " ".join(refused.stdout.split())  # unwrapped
    assert "NOT VERIFIED" in said
    assert "row 2: column name differs (personal data, not shown)" in said
    assert "1010" not in refused.stdout


# -- the payment order, last: it changes the listing ----------------------------------------------

async def test_sp2d_recorded_by_the_treasurer(stack: dict[str, Any]) -> None:
    body = {"period": PERIOD, "unit": UNIT, "sp2d_number": "00123/SP2D/2026",
            "sp2d_date": "2026-04-13"}
    post = stack["intake"].post
    refused = await post("/v1/payments", headers=AS_ADMIN, json=body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "role_not_allowed")
    early = await post("/v1/payments", headers=TREASURER, json={**body, "sp2d_date": "2026-03-31"})
    assert early.json()["error"]["code"] == "sp2d_before_period_end"
    still_open = await post("/v1/payments", headers=TREASURER, json={**body, "period": "2026-04"})
    assert (still_open.status_code, still_open.json()["error"]["code"]) == (
        409, "period_not_closed")
    recorded = await post("/v1/payments", headers=TREASURER, json=body)
    assert recorded.status_code == 201, recorded.text
    await sync(stack)
    document = (await stack["appraisal"].get(f"/v1/periods/{PERIOD}/units/{UNIT}/payroll",
                                             headers=TREASURER)).json()
    assert document["payment"] == {"sp2d_number": "00123/SP2D/2026", "sp2d_date": "2026-04-13"}
    async with stack["live"].connect() as conn:
        found = await listing(conn, PERIOD, UNIT, discipline=discipline)
    assert {row.payee.nip: row.status for row in found.rows} == {
        A: "paid", B: "paid", CPNS: "paid", HEAD: "provisional"}
    paid = next(row for row in found.rows if row.payee.nip == A)
    assert paid.reasons[-1] == "paid: SP2D 00123/SP2D/2026 of 2026-04-13"
    table = {line[4]: line for line in listing_table(found)[1:-1]}  # by NIP
    assert table[A][-2:] == ["00123/SP2D/2026", "2026-04-13"]
    assert table[HEAD][-2:] == ["", ""]  # the order paid no provisional row
    # over HTTP no employee has a discipline figure (no attendance here): nothing is paid
    assert "00123/SP2D/2026" not in (await download(stack, "listing.csv")).text


async def test_replay_into_postgresql_and_sqlite_equals_live(
        stack: dict[str, Any], create_database: Callable[..., Awaitable[str]],
        tmp_path: Path) -> None:
    async with stack["live"].connect() as conn:
        live = await table_checksums(conn)
    assert live["employee_finance"][0] == 3 and live["payments"][0] == 1
    for url in (await create_database("appraisal", migrated=False),
                f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"):
        await rp.replay_into(url, source(stack), warn=lambda _: None)
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                assert await table_checksums(conn) == live, url
        finally:
            await engine.dispose()
