"""One door for bearer tokens: local HS256 tokens and, when configured, the identity
provider's RS256/ES256 ones, told apart by their header and issuer; verified answers are
kept until they run out."""

import time
from collections import OrderedDict

import anyio.to_thread
import jwt

from shared.auth import LOCAL_ALGORITHM, AuthError, Principal, verify_local
from shared.oidc import OidcVerifier
from shared.settings import ASYMMETRIC_ALGORITHMS, AuthSettings, OidcSettings


class TokenVerifier:
    """Tokens already verified are kept until they expire (a provider's, at most until its
    key set is due again): an e-service sends the same token with thousands of requests,
    and checking a signature costs more than handling one."""

    def __init__(self, settings: AuthSettings, oidc: OidcSettings | None = None,
                 size: int = 10_000) -> None:
        self._settings = settings
        self._oidc = OidcVerifier(oidc) if oidc is not None and oidc.enabled else None
        if self._oidc is not None and self._oidc.issuer == settings.issuer:
            raise ValueError("ERK_JWT_ISSUER must differ from the identity provider's issuer")
        self._size = size
        self._known: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    @property
    def oidc(self) -> OidcVerifier | None:
        return self._oidc

    def verify(self, token: str) -> Principal:
        """Blocks on the identity provider when it must fetch keys; see :meth:`averify`."""
        return self._cached(token) or self._remember(token, *self._verify(token))

    async def averify(self, token: str) -> Principal:
        """As :meth:`verify`, with a provider's token checked off the event loop."""
        known = self._cached(token)
        if known is not None:
            return known
        if self._oidc is None or self._is_local(token):
            return self._remember(token, *self._verify(token))
        return self._remember(token, *await anyio.to_thread.run_sync(self._verify, token))

    def _cached(self, token: str) -> Principal | None:
        known = self._known.get(token)
        if known is None or known[1] <= time.time():
            return None
        self._known.move_to_end(token)
        return known[0]

    def _remember(self, token: str, principal: Principal, until: float) -> Principal:
        self._known[token] = (principal, until)
        if len(self._known) > self._size:
            self._known.popitem(last=False)
        return principal

    @staticmethod
    def _is_local(token: str) -> bool:
        try:
            return bool(jwt.get_unverified_header(token).get("alg") == LOCAL_ALGORITHM)
        except jwt.PyJWTError:
            return True  # refused by the local check, with its own words

    def _verify(self, token: str) -> tuple[Principal, float]:
        if self._is_local(token):
            if self._oidc is not None and _issuer(token) == self._oidc.issuer:
                # the provider signs asymmetrically: an HMAC token in its name is forged
                raise AuthError("algorithm not accepted for this issuer")
            return verify_local(self._settings, token)
        if self._oidc is None:
            alg = jwt.get_unverified_header(token).get("alg")
            raise AuthError("issuer not accepted" if alg in ASYMMETRIC_ALGORITHMS else
                            "algorithm not accepted")
        return self._oidc.verify(token)


def _issuer(token: str) -> object:
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
