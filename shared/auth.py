"""Bearer tokens (HS256 JWT) naming a principal and a role, for both services."""

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

import jwt

from shared.settings import AuthSettings

Role = Literal["employee", "superior", "eservice", "admin", "auditor", "dashboard"]
ROLES: tuple[str, ...] = get_args(Role)
PERSON_ROLES = frozenset({"employee", "superior"})


@dataclass(frozen=True)
class Principal:
    subject: str
    """A NIP for employees and superiors, the e-service id for e-services, a login otherwise."""
    role: Role

    @property
    def is_person(self) -> bool:
        return self.role in PERSON_ROLES

    @property
    def source(self) -> str:
        """The channel an activity from this principal comes through."""
        return self.subject if self.role == "eservice" else "app"


class AuthError(Exception):
    """The token is missing, malformed, expired or signed with another key."""


def issue_token(settings: AuthSettings, principal: Principal, ttl: timedelta) -> str:
    now = datetime.now(UTC)
    claims = {"sub": principal.subject, "role": principal.role, "iat": now, "exp": now + ttl,
              "iss": settings.issuer, "aud": settings.audience}
    return jwt.encode(claims, settings.secret.get_secret_value(), algorithm="HS256")


class TokenCache:
    """Tokens already verified, until they expire: an e-service sends the same token with
    thousands of requests, and verifying an HMAC signature costs more than handling one."""

    def __init__(self, settings: AuthSettings, size: int = 10_000) -> None:
        self._settings = settings
        self._size = size
        self._known: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def verify(self, token: str) -> Principal:
        known = self._known.get(token)
        if known is not None and known[1] > time.time():
            self._known.move_to_end(token)
            return known[0]
        principal, expires = _verify(self._settings, token)
        self._known[token] = (principal, expires)
        if len(self._known) > self._size:
            self._known.popitem(last=False)
        return principal


def verify_token(settings: AuthSettings, token: str) -> Principal:
    return _verify(settings, token)[0]


def _verify(settings: AuthSettings, token: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(
            token, settings.secret.get_secret_value(), algorithms=["HS256"],
            audience=settings.audience, issuer=settings.issuer,
            options={"require": ["sub", "exp", "role"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise AuthError(f"invalid token: {exc}") from exc
    role, subject = claims["role"], claims["sub"]
    if role not in ROLES or not isinstance(subject, str) or not subject:
        raise AuthError("the token names no valid role and subject")
    return Principal(subject=subject, role=role), float(claims["exp"])
