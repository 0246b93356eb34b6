"""The API documents of both services, in-process: the bearer scheme is declared on every
protected operation, the 401 answers keep their shape, and /docs and /redoc reference only
assets the service serves itself (the browser check is tests/e2e/test_docs_browser.py)."""

import re
from collections.abc import AsyncIterator, Callable
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.appraisal.bootstrap import build_app as build_appraisal
from services.intake.bootstrap import build_app as build_intake

pytestmark = pytest.mark.unit

# Operations anyone may call; every other one must require the bearer token.
PUBLIC = {("/health", "get"), ("/metrics", "get"), ("/dashboard", "get"),
          ("/asyncapi", "get"), ("/asyncapi.json", "get"), ("/asyncapi.yaml", "get")}
BUILDERS: dict[str, Callable[[], FastAPI]] = {
    "intake": lambda: build_intake(run_relay=False, run_ingress=False),
    "appraisal": lambda: build_appraisal(consume=False),
}


@pytest.fixture(params=sorted(BUILDERS))
async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """A service without its lifespan: documents and authentication need no database."""
    app = BUILDERS[request.param]()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        yield client


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(path, method): operation for path, methods in document["paths"].items()
            for method, operation in methods.items()}


async def test_the_bearer_scheme_is_declared_on_every_protected_operation(
        client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A token from `erk-intake token NAME --role ROLE`."}
    found = operations(document)
    assert len(found) > len(PUBLIC & found.keys())
    for key, operation in found.items():
        expected = None if key in PUBLIC else [{"bearer": []}]
        assert operation.get("security") == expected, key


@pytest.mark.parametrize(("header", "code"), [
    (None, "unauthenticated"),
    ("Basic ZXJrOmVyaw==", "unauthenticated"),
    ("Bearer", "unauthenticated"),
    ("Bearer not-a-jwt", "invalid_token"),
])
async def test_a_missing_or_bad_token_gets_the_same_401(
        client: httpx.AsyncClient, header: str | None, code: str) -> None:
    document = (await client.get("/openapi.json")).json()
    for path, method in operations(document).keys() - PUBLIC:
        # the token is checked before anything else, so placeholders do for parameters
        url = re.sub(r"\{[^}]+\}", "x", path)
        response = await client.request(
            method, url, headers={"Authorization": header} if header else {})
        assert_unauthorised(response, code)


def assert_unauthorised(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401, (response.request.method, response.request.url)
    assert response.headers["www-authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == code
    if code == "unauthenticated":
        assert error["message"] == "send 'Authorization: Bearer <token>'"


class _Links(HTMLParser):
    """Every src and href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_document_pages_load_only_local_assets(
        client: httpx.AsyncClient, page: str) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    links = _Links()
    links.feed(response.text)
    assert len(links.urls) >= 2, links.urls  # a script and a stylesheet or icon at least
    for url in links.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        assert (await client.get(url)).status_code == 200, url
    assert "http://" not in response.text and "https://" not in response.text
