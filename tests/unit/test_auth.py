"""Bearer tokens: issue, verify, and every way a token is refused."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.auth import AuthError, Principal, issue_token, verify_token
from shared.settings import AuthSettings

pytestmark = pytest.mark.unit

SETTINGS = AuthSettings(secret="unit-test-secret-" + "0123456789abcdef" * 4)  # type: ignore[arg-type]
OTHER_KEY = AuthSettings(secret="another-secret-0123456789-abcdefgh")  # type: ignore[arg-type]
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    "principal",
    [Principal("199001012015032001", "employee"), Principal("esamsat", "eservice"),
     Principal("admin", "admin")],
)
def test_round_trip(principal: Principal) -> None:
    assert verify_token(SETTINGS, issue_token(SETTINGS, principal, HOUR)) == principal


def test_principal_source() -> None:
    assert Principal("esamsat", "eservice").source == "esamsat"
    assert Principal("199001012015032001", "employee").source == "app"
    assert Principal("199001012015032001", "superior").is_person
    assert not Principal("admin", "admin").is_person


def test_expired_token() -> None:
    token = issue_token(SETTINGS, Principal("admin", "admin"), timedelta(seconds=-1))
    with pytest.raises(AuthError, match="expired"):
        verify_token(SETTINGS, token)


def test_wrong_key() -> None:
    token = issue_token(OTHER_KEY, Principal("admin", "admin"), HOUR)
    with pytest.raises(AuthError):
        verify_token(SETTINGS, token)


def claims(**changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    base: dict[str, object] = {"sub": "admin", "role": "admin", "iat": now, "exp": now + HOUR,
                               "iss": SETTINGS.issuer, "aud": SETTINGS.audience}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, object], algorithm: str = "HS256") -> str:
    return jwt.encode(payload, SETTINGS.secret.get_secret_value(), algorithm=algorithm)


def test_handmade_token_with_same_claims_is_accepted() -> None:
    assert verify_token(SETTINGS, sign(claims())) == Principal("admin", "admin")


@pytest.mark.parametrize(
    "changes",
    [
        {"role": None},          # missing role
        {"role": "king"},        # unknown role
        {"role": ""},
        {"sub": None},           # missing subject
        {"sub": ""},
        {"exp": None},           # no expiry
        {"aud": "someone-else"},
        {"iss": "someone-else"},
    ],
)
def test_bad_claims(changes: dict[str, object]) -> None:
    with pytest.raises(AuthError):
        verify_token(SETTINGS, sign(claims(**changes)))


@pytest.mark.parametrize("token", ["", "not-a-token", "a.b.c"])
def test_malformed_token(token: str) -> None:
    with pytest.raises(AuthError):
        verify_token(SETTINGS, token)


def test_other_algorithm_is_refused() -> None:
    with pytest.raises(AuthError):
        verify_token(SETTINGS, sign(claims(), algorithm="HS384"))
    unsigned = jwt.encode(claims(), None, algorithm="none")  # type: ignore[arg-type]
    with pytest.raises(AuthError):
        verify_token(SETTINGS, unsigned)


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32"):
        AuthSettings(secret="short")  # type: ignore[arg-type]
