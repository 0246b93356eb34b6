"""The tests' OpenID provider: `deploy/oidc/provider` (oidc-provider from npm) on a free
loopback port, with clients and accounts the test names, and the two ways to get a token
from it: client credentials (an e-service) and a walked login (a person: the provider's
login form over HTTP, authorization code with PKCE)."""

import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "oidc" / "provider"
AUDIENCE = "urn:erk"
SCOPE = "openid"
FORM = re.compile(r'<form[^>]*action="([^"]+)"')
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_script(*args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(SCRIPT), *args], env={**os.environ, **(env or {})},
                            capture_output=True, text=True, timeout=180, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"deploy/oidc/provider {' '.join(args)} failed "
                           f"({result.returncode}): {result.stderr}")
    return result.stdout.strip()


def keygen(path: Path) -> Path:
    """A fresh private key set of the shape `deploy/oidc/provider keygen` writes (one RS256
    and one ES256 key, each with a kid), made in-process: a test that rotates keys needs
    several, and a subprocess here would block the event loop the services under test run on
    (test_sign_on_keys checks the script's own keygen once)."""
    keys = [_private_jwk(RSAAlgorithm, rsa.generate_private_key(65537, 2048), "RS256"),
            _private_jwk(ECAlgorithm, ec.generate_private_key(ec.SECP256R1()), "ES256")]
    path.touch(mode=0o600)
    path.write_text(json.dumps({"keys": keys}))
    return path


def _private_jwk(algorithm: Any, key: Any, alg: str) -> dict[str, Any]:
    jwk: dict[str, Any] = algorithm.to_jwk(key, as_dict=True)
    jwk.pop("key_ops", None)  # RFC 7517 4.3: not together with "use"
    return {**jwk, "kid": str(uuid.uuid4()), "alg": alg, "use": "sig"}


def key_set(path: Path, *sources: Path) -> Path:
    """One key set from several (the first signs): a rotation's middle phase."""
    keys = [key for source in sources for key in json.loads(source.read_text())["keys"]]
    path.write_text(json.dumps({"keys": keys}))
    return path


def private_key(path: Path, alg: str = "RS256") -> tuple[str, Any]:
    """The kid and private key a key set signs ``alg`` with: to forge the provider's tokens."""
    jwk = next(k for k in json.loads(path.read_text())["keys"] if k["alg"] == alg)
    return jwk["kid"], jwt.PyJWK(jwk).key


@dataclass
class Client:
    client_id: str
    secret: str | None  # None: a public client
    redirect_uri: str = "http://127.0.0.1/callback"


@dataclass
class Provider:
    """A running provider; ``restart(keys)`` serves another key set on the same issuer."""

    state: Path
    config: dict[str, Any]
    keys: Path
    port: int = field(default_factory=free_port)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def _env(self) -> dict[str, str]:
        config = self.state / "config.json"
        config.write_text(json.dumps(self.config))
        return {"OIDC_PORT": str(self.port), "OIDC_CONFIG": str(config),
                "OIDC_KEYS": str(self.keys), "OIDC_STATE": str(self.state)}

    def start(self) -> "Provider":
        self.state.mkdir(parents=True, exist_ok=True)
        assert run_script("start", env=self._env()) == self.issuer
        return self

    def stop(self) -> None:
        run_script("stop", env=self._env())

    def restart(self, keys: Path) -> None:
        self.stop()
        self.keys = keys
        self.start()

    def client_credentials(self, client: Client) -> str:
        assert client.secret is not None
        response = httpx.post(f"{self.issuer}/token", auth=(client.client_id, client.secret),
                              data={"grant_type": "client_credentials", "scope": "erk"})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def log_in(self, client: Client, login: str) -> str:
        """Walk the login as a browser would: the authorization request, the provider's
        login and consent forms, the redirect back with a code, the code exchanged."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(16)
        with httpx.Client(timeout=10) as browser:
            response = browser.get(f"{self.issuer}/auth", params={
                "client_id": client.client_id, "response_type": "code", "scope": SCOPE,
                "redirect_uri": client.redirect_uri, "state": state,
                "code_challenge": challenge, "code_challenge_method": "S256"})
            answer = _walk(browser, response, client.redirect_uri, login)
            assert answer["state"] == [state] and answer["iss"] == [self.issuer], answer
            form = {"grant_type": "authorization_code", "code": answer["code"][0],
                    "redirect_uri": client.redirect_uri, "code_verifier": verifier}
            if client.secret is None:
                exchanged = browser.post(f"{self.issuer}/token",
                                         data={**form, "client_id": client.client_id})
            else:
                exchanged = browser.post(f"{self.issuer}/token", data=form,
                                         auth=(client.client_id, client.secret))
        assert exchanged.status_code == 200, exchanged.text
        return str(exchanged.json()["access_token"])


def _walk(browser: httpx.Client, response: httpx.Response, redirect_uri: str,
          login: str) -> dict[str, list[str]]:
    """Follow redirects and submit the forms until the provider sends us back."""
    for _ in range(12):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(redirect_uri):
                return parse_qs(urlsplit(location).query)
            response = browser.get(location)
            continue
        assert response.status_code == 200, response.text
        action = FORM.search(response.text)
        assert action is not None, response.text
        fields = dict(HIDDEN.findall(response.text))
        if fields.get("prompt") == "login":
            fields.update(login=login, password="any: the dev login form checks none")
        response = browser.post(urljoin(str(response.url), action.group(1)), data=fields)
    raise AssertionError("the login did not come back to the client")


def start_provider(state: Path, clients: list[Client], accounts: dict[str, list[str]],
                   roles: dict[str, list[str]], ttl: dict[str, int] | None = None,
                   algs: dict[str, str] | None = None, port: int | None = None) -> Provider:
    """Start a provider whose clients are ``clients``: those with a secret get client
    credentials and the authorization code, public ones the code with PKCE only."""
    state.mkdir(parents=True, exist_ok=True)
    config = {"audience": AUDIENCE, "clients": [_metadata(c) for c in clients],
              "accounts": accounts, "roles": roles, "ttl": ttl or {}, "algs": algs or {}}
    provider = Provider(state, config, keygen(state / "keys.json"), port or free_port())
    return provider.start()


def _metadata(client: Client) -> dict[str, Any]:
    if client.secret is None:
        return {"client_id": client.client_id, "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code"], "response_types": ["code"],
                "redirect_uris": [client.redirect_uri]}
    return {"client_id": client.client_id, "client_secret": client.secret,
            "grant_types": ["client_credentials", "authorization_code"],
            "response_types": ["code"], "redirect_uris": [client.redirect_uri]}


# The claim mapping of docs/sign-on.md: Keycloak-style realm roles onto ours (superior
# before employee: a head of unit holds both).
ROLE_MAP = {"erk-superior": "superior", "erk-employee": "employee",
            "erk-eservice": "eservice", "erk-dashboard": "dashboard", "erk-admin": "admin"}


def oidc_environment(issuer: str, **overrides: str) -> dict[str, str]:
    """The ERK_OIDC_* variables that point a service at the provider at ``issuer``."""
    env = {"ERK_OIDC_DISCOVERY_URL": f"{issuer}/.well-known/openid-configuration",
           "ERK_OIDC_AUDIENCE": AUDIENCE,
           "ERK_OIDC_ROLE_CLAIM": "realm_access.roles", "ERK_OIDC_ROLE_MAP": json.dumps(ROLE_MAP),
           "ERK_OIDC_ESERVICE_SUBJECT_CLAIM": "client_id", "ERK_OIDC_LEEWAY_S": "0"}
    env.update({f"ERK_OIDC_{name.upper()}": value for name, value in overrides.items()})
    return env


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """``env`` set while an app is built (its settings are read then)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield


@contextlib.asynccontextmanager
async def serving(app: FastAPI, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app running (its lifespan entered), and a client talking to it in-process."""
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url) as client:
        yield client
