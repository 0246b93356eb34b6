"""Access tokens from an OpenID provider (SIASN's Keycloak): keys from its JWKS endpoint,
found through its discovery document, and its claims mapped onto our principal.

Nothing is fetched before the first such token arrives. The discovery document is kept for
the life of the process; the key set for ``jwks_cache_s``, and fetched again at once (at
most every ``jwks_cooldown_s``) when a token names a key id it lacks, so a rotated key is
accepted without a restart. Calls block: run :meth:`OidcVerifier.verify` off the event loop.
"""

import logging
import threading
import time
from typing import Any

import httpx
import jwt

from shared.auth import AuthError, Principal, ProviderUnavailable, Role, refusal
from shared.settings import OidcSettings

log = logging.getLogger(__name__)

UNREACHABLE = "the identity provider is unreachable; try again later"
UNUSABLE = "the identity provider's discovery document does not fit the configuration"


def claim(claims: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (``realm_access.roles``), or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def map_principal(settings: OidcSettings, claims: dict[str, Any]) -> Principal:
    """Our principal for a verified token's claims, by the configured claim mapping."""
    held = claim(claims, settings.role_claim)
    names = {held} if isinstance(held, str) else (
        {n for n in held if isinstance(n, str)} if isinstance(held, list) else set())
    role: Role | None = next((ours for theirs, ours in settings.roles.items()
                              if theirs in names), None)
    if role is None:
        raise AuthError(f"the token's {settings.role_claim!r} claim names no role of ours")
    path = (settings.eservice_subject_claim if role == "eservice" else None) \
        or settings.subject_claim
    subject = claim(claims, path)
    if not isinstance(subject, str) or not subject:
        raise AuthError(f"token lacks the {path!r} claim")
    return Principal(subject=subject, role=role)


class OidcVerifier:
    """Verifies the provider's tokens. Thread-safe; one per process is enough."""

    def __init__(self, settings: OidcSettings) -> None:
        if not settings.enabled or settings.expected_issuer is None:
            raise ValueError("OidcVerifier needs ERK_OIDC_DISCOVERY_URL")
        self.settings = settings
        self.issuer: str = settings.expected_issuer
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._keys: jwt.PyJWKClient | None = None
        self._down_until = 0.0
        self._down_reason = UNREACHABLE

    def verify(self, token: str) -> tuple[Principal, float]:
        """The token's principal, and until when that answer may be reused (epoch seconds):
        its expiry, or sooner, when the key set it was checked against is due again."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise refusal(exc) from exc
        if header.get("alg") not in self.settings.algorithms:
            raise AuthError("algorithm not accepted")
        # before any key lookup: another issuer's token must not make us fetch our key set
        if unverified.get("iss") != self.issuer:
            raise AuthError("issuer not accepted")
        key = self._signing_key(header.get("kid"))
        try:
            claims = jwt.decode(
                token, key, algorithms=self.settings.algorithms,
                audience=self.settings.audience, issuer=self.issuer,
                leeway=self.settings.leeway_s, options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise refusal(exc) from exc
        until = min(float(claims["exp"]), time.time() + self.settings.jwks_cache_s)
        return map_principal(self.settings, claims), until

    def discovery(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once, then kept)."""
        with self._lock:
            if self._discovery is None:
                self._discovery = self._fetch_discovery()
            return self._discovery

    def _fetch_discovery(self) -> dict[str, Any]:
        self._check_not_down()
        url = self.settings.discovery_url or ""
        try:
            response = httpx.get(url, timeout=self.settings.timeout_s)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise self._down("discovery", exc) from exc
        if not isinstance(document, dict) or not isinstance(document.get("jwks_uri"), str):
            raise self._down("discovery", ValueError("no jwks_uri"), UNUSABLE)
        if document.get("issuer") != self.issuer:  # OIDC Discovery: they must be equal
            raise self._down("discovery", ValueError(f"issuer {document.get('issuer')!r} "
                                                     f"is not {self.issuer!r}"), UNUSABLE)
        return document

    def _signing_key(self, kid: Any) -> jwt.PyJWK:
        if not isinstance(kid, str) or not kid:
            raise AuthError("unknown signing key")
        keys = self._key_client()
        with self._lock:
            cached = keys.jwk_set_cache.get() if keys.jwk_set_cache else None
            known = next((k for k in cached.keys if k.key_id == kid
                          and k.public_key_use in ("sig", None)), None) if cached else None
            if known is not None:  # no fetch needed: fine even while the provider is down
                return known
            self._check_not_down()
            try:
                return keys.get_signing_key(kid)
            except jwt.PyJWKClientConnectionError as exc:
                raise self._down("key set", exc) from exc
            except (jwt.PyJWKClientError, jwt.PyJWKSetError) as exc:
                raise AuthError("unknown signing key") from exc

    def _key_client(self) -> jwt.PyJWKClient:
        jwks_uri = self.discovery()["jwks_uri"]
        with self._lock:
            if self._keys is None:
                self._keys = jwt.PyJWKClient(
                    jwks_uri, cache_jwk_set=True, lifespan=self.settings.jwks_cache_s,
                    cooldown_duration=self.settings.jwks_cooldown_s,
                    timeout=self.settings.timeout_s)
            return self._keys

    def _check_not_down(self) -> None:
        if time.monotonic() < self._down_until:
            raise ProviderUnavailable(self._down_reason)

    def _down(self, what: str, exc: Exception, reason: str = UNREACHABLE) -> ProviderUnavailable:
        """Remember the failure for ``retry_s``, so a burst of requests does not each wait
        for a timeout; log it for the operator (the caller gets no internals)."""
        self._down_until = time.monotonic() + self.settings.retry_s
        self._down_reason = reason
        log.warning("identity provider %s unavailable: %s: %s", what, type(exc).__name__, exc)
        return ProviderUnavailable(reason)
