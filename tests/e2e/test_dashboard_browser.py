"""The dashboard in a real browser (Playwright driving Debian's chromium) over a small seeded
history: the history is published to a fresh events topic as the relay would, appraisal
runs in-process under uvicorn with its consumer on that topic, and the page, opened with a
dashboard token, must show data in every panel and chart, keep its tables inside their
panes and log no console error. A full-page screenshot is saved for CI
(``$ERK_ARTIFACTS`` or ``.ci/artifacts``, ``dashboard.png``)."""

import asyncio
import os
import random
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from aiokafka.admin import NewTopic
from playwright.async_api import ConsoleMessage, Page, async_playwright

from services.appraisal.bootstrap import build_app
from services.appraisal.settings import AppraisalSettings
from shared.auth import Principal, issue_token
from shared.clock import FixedClock
from shared.kafka import admin as kafka_admin
from shared.kafka import raw_producer
from shared.settings import AuthSettings
from tests.e2e.support import KAFKA, free_port
from tests.support.history import History, nip, stream_wire
from tests.support.oidc_provider import environment
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PERIOD = "2026-03"
NOW = datetime(2026, 3, 18, 9, tzinfo=ZoneInfo("Asia/Jakarta"))
PARTITIONS = 3
CHARTS = ("days", "categories", "backlog", "360", "lag", "lag-seconds")
TABLES = ("el-table", "unit-table", "q-table")
TEAMS = {1: [11, 12, 13, 14], 2: [21, 22, 23, 24]}  # superior: staff


def seeded_history() -> History:
    """Two superiors with four staff each (their units are the history roster's), reporting
    in March 2026: most work approved, some rejected or sent back, some waiting (reported
    hours to days ago, so the backlog has ages); 360 reviews from the superior and three
    peers each."""
    rng = random.Random(15)
    h = History(start=datetime.now(UTC) - timedelta(hours=1))  # lag seconds: recent events
    h.policy("2026.1", "2026-01")
    for head, staff in TEAMS.items():
        h.employee(head, structural=True)
        for i in staff:
            h.employee(i)
            h.line(i, head)
    for day in (date(2026, 3, d) for d in range(2, 18) if date(2026, 3, d).weekday() < 5):
        for head, staff in TEAMS.items():
            for i in staff:
                _, activity = h.activity(i, day, rng.randint(200, 560))
                roll = rng.random()
                if roll < 0.7:
                    h.decision(i, head, activity, "approved")
                elif roll < 0.8:
                    h.decision(i, head, activity, rng.choice(["rejected", "revision_requested"]))
    waited = datetime.now(UTC)  # the backlog's ages are on intake's wall clock
    for n, envelope in enumerate(h.envelopes):
        if envelope.event_type == "ActivityReported":
            at = waited - timedelta(hours=(n * 7) % 200)
            h.envelopes[n] = envelope.model_copy(update={"occurred_at": at})
    for head, staff in TEAMS.items():
        for i in staff:
            h.review(i, head, "superior", PERIOD, rng)
            for peer in (p for p in staff if p != i):
                h.review(i, peer, "peer", PERIOD, rng)
    return h


async def publish(topic: str, history: History) -> None:
    """As the relay does: keyed by NIP, events that concern everyone on every partition."""
    producer = raw_producer(KAFKA, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, value, broadcast in stream_wire(history.envelopes):
            for partition in range(PARTITIONS) if broadcast else [None]:
                await producer.send(topic, value, key=key, partition=partition)
        await producer.flush()
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
async def appraisal(create_database: Callable[..., Awaitable[str]]) -> AsyncIterator[str]:
    admin = kafka_admin(KAFKA)
    await admin.start()
    run = uuid.uuid4().hex[:10]
    topics = [f"erk.e2e.dashboard.{purpose}.{run}" for purpose in ("events", "dlq")]
    await admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics])
    await publish(topics[0], seeded_history())
    settings = AppraisalSettings(database_url=await create_database("appraisal"),
                                 consumer_group=f"erk-e2e-dashboard-{run}")
    with environment({"ERK_KAFKA_EVENTS_TOPIC": topics[0], "ERK_KAFKA_DLQ_TOPIC": topics[1]}):
        app = build_app(settings, clock=FixedClock(NOW))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or serving.done(), what="appraisal started")
        assert not serving.done(), "appraisal did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        await admin.delete_topics(topics)
        await admin.close()


async def caught_up(base: str, token: str) -> bool:
    """Everything applied (the last reviews are in), and at least two lag samples taken."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=5) as client:
        month = (await client.get(f"/v1/employees/{nip(24)}/months/{PERIOD}")).json()
        lag = (await client.get("/v1/dashboard/lag")).json()
    behaviour = month.get("behaviour") or {}
    return behaviour.get("raters", {}).get("peer") == 3 and len(lag["samples"]) >= 2


def artifact_path(name: str) -> Path:
    artifacts = Path(os.environ.get("ERK_ARTIFACTS") or REPO / ".ci" / "artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    return artifacts / name


async def screenshot(page: Page) -> None:
    path = artifact_path("dashboard.png")
    await page.screenshot(path=str(path), full_page=True)
    print(f"dashboard screenshot: {path}")


@pytest.fixture(scope="module")
async def page() -> AsyncIterator[Page]:
    binary = os.environ.get("ERK_CHROMIUM") or shutil.which("chromium")
    if not binary:
        pytest.fail("chromium is not installed (deploy/stack test installs it)", pytrace=False)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=binary, headless=True)
        try:
            yield await browser.new_page(viewport={"width": 1366, "height": 900})
        finally:
            await browser.close()


async def test_every_panel_shows_data_at_a_glance(appraisal: str, page: Page) -> None:
    token = issue_token(AuthSettings(), Principal("dash", "dashboard"),  # type: ignore[call-arg]
                        timedelta(hours=1))
    await eventually(lambda: caught_up(appraisal, token), timeout=60,
                     what="the seeded history applied and lag sampled")
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location['url']})")

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.set_default_timeout(20_000)
    await page.goto(f"{appraisal}/dashboard?token={token}&period={PERIOD}&nip={nip(11)}")

    for chart in CHARTS:
        await page.locator(f"[data-chart='{chart}'] svg .datum").first.wait_for(state="attached")
    for table in TABLES:
        await page.locator(f"#{table} tr:nth-child(2)").wait_for()
    await page.wait_for_load_state("networkidle")
    await screenshot(page)  # before the checks: a failing look is kept too

    assert await page.locator("#message").text_content() == ""
    legend = await page.locator("[data-chart='categories'] .legend").inner_text()
    assert legend.strip(), "the categories chart names its categories"
    backlog = await page.locator("[data-chart='backlog'] svg .datum").count()
    assert backlog == 5, "one bar per age bucket"
    overflowing = await page.evaluate("""(ids) => ids.filter((id) => {
        const table = document.getElementById(id);
        return table.scrollWidth > table.parentElement.clientWidth + 1; })""", list(TABLES))
    assert overflowing == [], f"tables wider than their panes: {overflowing}"
    assert errors == [], errors

