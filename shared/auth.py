"""Bearer tokens naming a principal and a role, for both services: the local HS256 tokens
(issued here), and what every verifier shares (the principal, the refusals)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import get_args

import jwt

from shared.settings import AuthSettings
from shared.settings import Role as Role

ROLES: tuple[str, ...] = get_args(Role)
PERSON_ROLES = frozenset({"employee", "superior"})
LOCAL_ALGORITHM = "HS256"


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
    """The token is missing, malformed, expired or signed with another key. The message is
    ours and safe to show the caller (no library internals)."""


class ProviderUnavailable(AuthError):
    """The identity provider that vouches for the token cannot be asked right now: the
    token may well be good, so the caller should retry rather than sign in again."""


def refusal(exc: jwt.PyJWTError) -> AuthError:
    """Our words for why PyJWT refused a token."""
    match exc:
        case jwt.ExpiredSignatureError():
            return AuthError("token expired")
        case jwt.InvalidSignatureError():
            return AuthError("signature does not verify")
        case jwt.InvalidAudienceError():
            return AuthError("audience not accepted")
        case jwt.InvalidIssuerError():
            return AuthError("issuer not accepted")
        case jwt.ImmatureSignatureError():
            return AuthError("token not valid yet")
        case jwt.MissingRequiredClaimError():
            return AuthError(f"token lacks the {exc.claim!r} claim")
        case jwt.InvalidAlgorithmError():
            return AuthError("algorithm not accepted")
        case jwt.DecodeError():
            return AuthError("malformed token")
    return AuthError("invalid token")


def issue_token(settings: AuthSettings, principal: Principal, ttl: timedelta) -> str:
    now = datetime.now(UTC)
    claims = {"sub": principal.subject, "role": principal.role, "iat": now, "exp": now + ttl,
              "iss": settings.issuer, "aud": settings.audience}
    return jwt.encode(claims, settings.secret.get_secret_value(), algorithm=LOCAL_ALGORITHM)


def verify_token(settings: AuthSettings, token: str) -> Principal:
    """A local (HS256) token's principal; ``shared.tokens`` also accepts the provider's."""
    return verify_local(settings, token)[0]


def verify_local(settings: AuthSettings, token: str) -> tuple[Principal, float]:
    """The principal of a local token, and when the token expires (epoch seconds)."""
    try:
        claims = jwt.decode(
            token, settings.secret.get_secret_value(), algorithms=[LOCAL_ALGORITHM],
            audience=settings.audience, issuer=settings.issuer,
            options={"require": ["sub", "exp", "role"]},
        )
    except jwt.PyJWTError as exc:
        raise refusal(exc) from exc
    role, subject = claims["role"], claims["sub"]
    if role not in ROLES or not isinstance(subject, str) or not subject:
        raise AuthError("the token names no valid role and subject")
    return Principal(subject=subject, role=role), float(claims["exp"])
