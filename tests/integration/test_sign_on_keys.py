"""The provider's keys and what is refused: a rotated key is taken up without restarting
the service and a retired one stops working; expired tokens, another issuer's, forged ones
(alg none, HMAC in the provider's name, a key it never published) are refused with our
words; an unreachable provider gets a 503 and the service recovers once it answers, while
tokens whose key is already known keep working."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.appraisal.bootstrap import build_app
from services.appraisal.settings import AppraisalSettings
from shared.auth import Principal, issue_token
from shared.settings import AuthSettings
from tests.support.oidc_provider import (
    AUDIENCE,
    Client,
    Provider,
    environment,
    free_port,
    key_set,
    keygen,
    oidc_environment,
    private_key,
    run_script,
    serving,
    start_provider,
)

pytestmark = pytest.mark.integration

ESAMSAT = Client("esamsat", "esamsat-test-secret-" + uuid.uuid4().hex)
BRIEF = Client("esamsat-brief", "brief-test-secret-" + uuid.uuid4().hex)  # 1 s tokens
# Long enough that a key rotation is seen through the refetch on an unknown kid, not
# through the cached key set running out (the rotation test checks it was).
JWKS_CACHE_S = 8.0
LOCAL = AuthSettings()  # type: ignore[call-arg]


def provider_at(state: Path, port: int | None = None) -> Provider:
    return start_provider(state, [ESAMSAT, BRIEF], accounts={},
                          roles={ESAMSAT.client_id: ["erk-eservice"],
                                 BRIEF.client_id: ["erk-eservice"]},
                          ttl={BRIEF.client_id: 1}, port=port)


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    provider = provider_at(tmp_path_factory.mktemp("oidc"))
    try:
        yield provider
    finally:
        provider.stop()


Appraisal = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def appraisal(create_database: Callable[..., Awaitable[str]]) -> AsyncIterator[Appraisal]:
    """A factory: appraisal (not consuming) trusting the provider at an issuer URL."""
    url = await create_database("appraisal")
    async with AsyncExitStack() as stack:
        async def start(issuer: str, retry_s: float = 0) -> httpx.AsyncClient:
            env = oidc_environment(issuer, jwks_cache_s=str(JWKS_CACHE_S),
                                   jwks_cooldown_s="0", retry_s=str(retry_s))
            with environment(env):
                app = build_app(AppraisalSettings(database_url=url), consume=False)
            return await stack.enter_async_context(serving(app, "http://appraisal"))
        yield start


async def read(appraisal: httpx.AsyncClient, token: str) -> httpx.Response:
    """A read an e-service's token passes authentication for: the answer is 404 then."""
    return await appraisal.get(f"/v1/activities/{uuid.uuid4()}",
                               headers={"Authorization": f"Bearer {token}"})


async def assert_accepted(appraisal: httpx.AsyncClient, token: str) -> None:
    response = await read(appraisal, token)
    assert response.status_code == 404, response.text


async def assert_refused(appraisal: httpx.AsyncClient, token: str, message: str) -> None:
    response = await read(appraisal, token)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == {"code": "invalid_token", "message": message,
                                        "field": None}


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def forged(issuer: str, key: Any, kid: str, alg: str = "RS256", **changes: Any) -> str:
    now = datetime.now(UTC)
    claims = {"iss": issuer, "aud": AUDIENCE, "sub": "esamsat", "client_id": "esamsat",
              "iat": now, "exp": now + timedelta(minutes=5),
              "realm_access": {"roles": ["erk-eservice"]}, **changes}
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


async def test_a_rotated_key_is_taken_up_and_a_retired_one_refused(
        provider: Provider, appraisal: Appraisal, tmp_path: Path) -> None:
    service = await appraisal(provider.issuer)
    old = provider.client_credentials(ESAMSAT)
    old_unseen = provider.client_credentials(ESAMSAT)
    await assert_accepted(service, old)
    fetched = time.monotonic()  # the key set was fetched for this first token

    first_keys, new_keys = provider.keys, keygen(tmp_path / "new.json")
    provider.restart(key_set(tmp_path / "both.json", new_keys, first_keys))  # new one signs
    new = provider.client_credentials(ESAMSAT)
    assert kid_of(new) == private_key(new_keys)[0] != kid_of(old)
    await assert_accepted(service, new)  # an unknown kid: the key set is fetched again
    assert time.monotonic() - fetched < JWKS_CACHE_S, "the cached key set ran out first"
    await assert_accepted(service, old_unseen)  # the old key is still published

    provider.restart(new_keys)  # the old key retired
    await asyncio.sleep(JWKS_CACHE_S + 0.2)  # what the service was told is trusted this long
    await assert_refused(service, old, "unknown signing key")
    await assert_refused(service, old_unseen, "unknown signing key")
    await assert_accepted(service, new)
    await assert_accepted(service, provider.client_credentials(ESAMSAT))


async def test_an_expired_token_is_refused(provider: Provider, appraisal: Appraisal) -> None:
    service = await appraisal(provider.issuer)
    token = provider.client_credentials(BRIEF)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.1)
    await assert_refused(service, token, "token expired")


async def test_another_issuers_token_is_refused(
        provider: Provider, appraisal: Appraisal, tmp_path: Path) -> None:
    service = await appraisal(provider.issuer)
    other = provider_at(tmp_path / "other")  # same clients, another issuer
    try:
        await assert_refused(service, other.client_credentials(ESAMSAT), "issuer not accepted")
    finally:
        other.stop()
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    await assert_refused(service, forged("https://sso.example/realms/x", own_key, "k1"),
                         "issuer not accepted")


async def test_forged_tokens_are_refused(provider: Provider, appraisal: Appraisal) -> None:
    service = await appraisal(provider.issuer)
    kid, key = private_key(provider.keys)
    await assert_accepted(service, forged(provider.issuer, key, kid))  # the forge itself works
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    await assert_refused(service, forged(provider.issuer, own_key, kid),
                         "signature does not verify")
    await assert_refused(service, forged(provider.issuer, own_key, "never-published"),
                         "unknown signing key")
    await assert_refused(service, forged(provider.issuer, key, kid, aud="urn:someone-else"),
                         "audience not accepted")
    past = datetime.now(UTC) - timedelta(minutes=1)
    await assert_refused(service, forged(provider.issuer, key, kid, exp=past), "token expired")
    hmac = forged(provider.issuer, LOCAL.secret.get_secret_value(), kid, alg="HS256")
    await assert_refused(service, hmac, "algorithm not accepted for this issuer")
    unsigned = forged(provider.issuer, None, kid, alg="none")
    await assert_refused(service, unsigned, "algorithm not accepted")
    local = issue_token(LOCAL, Principal("esamsat", "eservice"), timedelta(minutes=5))
    await assert_accepted(service, local)  # the local tokens keep working beside


async def test_an_unreachable_provider_gets_503_until_it_answers(
        appraisal: Appraisal, tmp_path: Path) -> None:
    port = free_port()
    service = await appraisal(f"http://127.0.0.1:{port}")
    kid, key = private_key(keygen(tmp_path / "keys.json"))
    token = forged(f"http://127.0.0.1:{port}", key, kid)
    response = await read(service, token)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"] == {
        "code": "identity_provider_unavailable", "field": None,
        "message": "the identity provider is unreachable; try again later"}
    local = issue_token(LOCAL, Principal("esamsat", "eservice"), timedelta(minutes=5))
    await assert_accepted(service, local)  # the service itself is fine

    provider = provider_at(tmp_path / "late", port)
    try:
        await assert_accepted(service, provider.client_credentials(ESAMSAT))
    finally:
        provider.stop()


async def test_known_keys_keep_working_while_the_provider_is_down(
        appraisal: Appraisal, tmp_path: Path) -> None:
    provider = provider_at(tmp_path / "flaky")
    service = await appraisal(provider.issuer, retry_s=60)  # once down, no asking for 60 s
    await assert_accepted(service, provider.client_credentials(ESAMSAT))
    spare = provider.client_credentials(ESAMSAT)  # not seen yet: its key must be looked up
    provider.stop()
    kid, key = private_key(keygen(tmp_path / "other.json"))
    response = await read(service, forged(provider.issuer, key, kid))  # a kid to fetch for
    assert response.status_code == 503, response.text
    await assert_accepted(service, spare)  # its key is in the cached set: no fetch needed


def test_the_provider_script_writes_a_private_key_set(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    run_script("keygen", str(path))
    keys = json.loads(path.read_text())["keys"]
    assert [(key["kty"], key["alg"], key["use"]) for key in keys] == [
        ("RSA", "RS256", "sig"), ("EC", "ES256", "sig")]
    assert all(key["kid"] and key["d"] for key in keys)  # named, and private
    assert path.stat().st_mode & 0o777 == 0o600
