"""/docs of both running services in a real headless browser, as if the machine had no
internet: every request to another host than the loopback is refused and recorded.

Drives Debian's chromium (``deploy/stack test`` installs it) through Playwright; Playwright's
own browser builds cannot be downloaded here. ``ERK_CHROMIUM`` names another binary.
"""

import ipaddress
import os
import shutil
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Route,
    async_playwright,
)
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.e2e.support import System

pytestmark = pytest.mark.e2e

RENDER_TIMEOUT_MS = 30_000
TITLES = {"intake": "e-RK intake", "appraisal": "e-RK appraisal"}


def _chromium() -> str:
    binary = os.environ.get("ERK_CHROMIUM") or shutil.which("chromium")
    if not binary:
        pytest.fail("chromium is not installed (deploy/stack test installs it with apt-get; "
                    "ERK_CHROMIUM names another binary)", pytrace=False)
    return binary


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=_chromium(), headless=True)
        try:
            yield browser
        finally:
            await browser.close()


class OfflinePage:
    """A page whose requests off the loopback fail, with what it asked for and complained of."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.remote: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    async def start(self) -> None:
        await self.page.route("**/*", self._route)

    async def _route(self, route: Route) -> None:
        if _loopback(route.request.url):
            await route.continue_()
        else:
            self.remote.append(route.request.url)
            await route.abort("internetdisconnected")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    async def shown(self, selector: str) -> Locator:
        """The first element matching ``selector`` once visible; on a timeout, the failure
        says what the page tried to fetch from outside and what it complained of."""
        locator = self.page.locator(selector)
        try:
            await locator.first.wait_for(timeout=RENDER_TIMEOUT_MS)
        except PlaywrightTimeout:
            pytest.fail(f"{selector!r} not shown within {RENDER_TIMEOUT_MS} ms; requests off "
                        f"the loopback: {self.remote}; errors: {self.errors}", pytrace=False)
        return locator


@pytest.mark.parametrize("service", sorted(TITLES))
async def test_docs_render_offline_with_an_authorize_button(
        system: System, browser: Browser, service: str) -> None:
    base = {"intake": system.intake_url, "appraisal": system.appraisal_url}[service]
    context = await browser.new_context()
    try:
        offline = OfflinePage(await context.new_page())
        await offline.start()
        response = await offline.page.goto(f"{base}/docs", wait_until="load")
        assert response is not None and response.status == 200

        title = await offline.shown(".swagger-ui .info .title")
        assert TITLES[service] in await title.inner_text()
        assert await (await offline.shown(".swagger-ui .opblock")).count() >= 1

        authorize = await offline.shown(".swagger-ui button.authorize")
        await authorize.click()  # the dialog offers the declared scheme
        dialog = await offline.shown(".swagger-ui .dialog-ux .modal-ux")
        assert "bearer" in (await dialog.inner_text()).lower()

        await offline.page.wait_for_load_state("networkidle")
        assert offline.remote == []
        assert offline.errors == []
    finally:
        await context.close()


async def test_the_asyncapi_page_renders_offline(system: System, browser: Browser) -> None:
    context = await browser.new_context()
    try:
        offline = OfflinePage(await context.new_page())
        await offline.start()
        response = await offline.page.goto(f"{system.intake_url}/asyncapi", wait_until="load")
        assert response is not None and response.status == 200
        heading = await offline.shown("#channel-ingress")
        assert "erk.ingress.activities.v1" in await heading.inner_text()
        headers = await offline.shown("#message-ReportActivity ~ table")
        assert "authorization" in await headers.first.inner_text()
        await offline.page.click("a[href='#schema-IngressOutcome']")  # the links lead on
        assert await offline.page.locator("#schema-IngressOutcome").is_visible()
        yaml_link = await offline.page.get_attribute("a[href='asyncapi.yaml']", "href")
        document = await context.request.get(f"{system.intake_url}/{yaml_link}")
        assert document.ok and "asyncapi: 3.0.0" in await document.text()
        assert offline.remote == [] and offline.errors == []
    finally:
        await context.close()
