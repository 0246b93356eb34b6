"""The dashboard signs in through the identity provider in a real browser: the page's
Sign-in button, the provider's login and consent forms (oidc-provider started by
deploy/oidc/provider), back to the page with a code it exchanges (PKCE, public client),
and the dashboard's lists load with the access token. Appraisal runs in-process under
uvicorn (no consumer: the lists are empty, but each request must be authorised)."""

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
import uvicorn
from playwright.async_api import ConsoleMessage, Page, Response, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

from services.appraisal.bootstrap import build_app
from services.appraisal.settings import AppraisalSettings
from tests.support.oidc_provider import (
    Client,
    Provider,
    environment,
    free_port,
    oidc_environment,
    start_provider,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 20_000
PORT = free_port()
DASHBOARD = Client("erk-dashboard", None, f"http://127.0.0.1:{PORT}/dashboard")


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    provider = start_provider(tmp_path_factory.mktemp("oidc"), [DASHBOARD],
                              accounts={"dasbor": ["erk-dashboard"]}, roles={})
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="module")
async def appraisal(provider: Provider,
                    create_database: Callable[..., Awaitable[str]]) -> AsyncIterator[str]:
    settings = AppraisalSettings(database_url=await create_database("appraisal"))
    with environment(oidc_environment(provider.issuer,
                                      dashboard_client_id=DASHBOARD.client_id)):
        app = build_app(settings, consume=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=PORT,
                                           log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or serving.done(), timeout=30, what="appraisal up")
    assert not serving.done(), "appraisal did not start"
    try:
        yield f"http://127.0.0.1:{PORT}"
    finally:
        server.should_exit = True
        await serving


@pytest.fixture(scope="module")
async def page() -> AsyncIterator[Page]:
    binary = os.environ.get("ERK_CHROMIUM") or shutil.which("chromium")
    if not binary:
        pytest.fail("chromium is not installed (deploy/stack test installs it)", pytrace=False)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=binary, headless=True)
        try:
            yield await browser.new_page()
        finally:
            await browser.close()


async def test_the_dashboard_signs_in_through_the_provider(
        provider: Provider, appraisal: str, page: Page) -> None:
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        # on our page only (the provider's dev forms ask the internet for fonts); /health
        # says 503 here (no consumer runs) and the page has no favicon: expected failures
        url = message.location["url"]
        if message.type == "error" and page.url.startswith(appraisal) and not url.endswith(
                ("/health", "/favicon.ico")):
            errors.append(f"{message.text} ({url})")

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.set_default_timeout(TIMEOUT_MS)
    authorised: list[Response] = []
    page.on("response", lambda r: authorised.append(r) if "/v1/" in r.url else None)

    await page.goto(f"{appraisal}/dashboard")
    await page.locator("#sign-in").click()  # shown once the page learnt of the provider
    await page.wait_for_url(f"{provider.issuer}/interaction/**")
    await page.fill("input[name=login]", "dasbor")
    await page.fill("input[name=password]", "any")
    await page.click("button[type=submit]")
    await page.locator("button[type=submit]", has_text="Continue").click()  # consent

    await page.wait_for_url(f"{appraisal}/dashboard")  # the code is out of the address bar
    try:
        await page.wait_for_function(
            "document.getElementById('el-info').textContent === 'no rows yet'")
    except PlaywrightTimeout:
        pytest.fail(f"the lists did not load; the page says "
                    f"{await page.locator('#message').text_content()!r}; errors: {errors}")
    assert await page.locator("#message").text_content() == ""
    assert await page.input_value("#token") != ""
    assert authorised and all(r.status == 200 for r in authorised), [
        (r.url, r.status) for r in authorised]
    assert errors == [], errors
