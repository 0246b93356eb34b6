"""The identity provider's tokens without the provider: settings, the claim mapping, and
every refusal decided before a key is fetched (the walks are tests/integration/test_sign_on*)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.auth import AuthError, Principal, issue_token
from shared.oidc import claim, map_principal
from shared.settings import AuthSettings, OidcSettings
from shared.tokens import TokenVerifier

pytestmark = pytest.mark.unit

ISSUER = "http://127.0.0.1:9/realms/public-siasn"  # port 9: nothing may be fetched anyway
LOCAL = AuthSettings(secret="unit-test-secret-" + "0123456789abcdef" * 4)  # type: ignore[arg-type]
NIP = "199001012015032001"


def oidc(**changes: Any) -> OidcSettings:
    values: dict[str, Any] = {"discovery_url": f"{ISSUER}/.well-known/openid-configuration",
                              "audience": "erk", **changes}
    return OidcSettings(**values)


KEYCLOAK = oidc(role_claim="realm_access.roles", subject_claim="nip",
                eservice_subject_claim="azp",
                role_map={"erk-superior": "superior", "erk-employee": "employee",
                          "erk-eservice": "eservice"})


def test_off_unless_a_discovery_url_is_set() -> None:
    assert not OidcSettings().enabled
    assert TokenVerifier(LOCAL).oidc is None
    assert TokenVerifier(LOCAL, OidcSettings()).oidc is None


def test_the_issuer_is_the_discovery_url_without_its_suffix() -> None:
    assert oidc().expected_issuer == ISSUER
    assert oidc(issuer="https://sso.example/x").expected_issuer == "https://sso.example/x"


@pytest.mark.parametrize(("changes", "message"), [
    ({"audience": None}, "ERK_OIDC_AUDIENCE is required"),
    ({"discovery_url": "https://sso.example/keys"}, "must end in"),
    ({"algorithms": ["RS256", "HS256"]}, "only"),
    ({"algorithms": ["none"]}, "only"),
    ({"algorithms": []}, "only"),
    ({"role_map": {"erk-boss": "king"}}, "role_map"),
])
def test_incomplete_settings_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        oidc(**changes)


def test_the_local_issuer_must_differ_from_the_providers() -> None:
    with pytest.raises(ValueError, match="ERK_JWT_ISSUER"):
        TokenVerifier(LOCAL, oidc(issuer=LOCAL.issuer))


def test_claim_paths() -> None:
    claims = {"sub": "x", "realm_access": {"roles": ["a"]}, "flat": "v"}
    assert claim(claims, "realm_access.roles") == ["a"]
    assert claim(claims, "flat") == "v"
    assert claim(claims, "flat.deeper") is None
    assert claim(claims, "missing.roles") is None


@pytest.mark.parametrize(("claims", "principal"), [
    ({"nip": NIP, "realm_access": {"roles": ["offline_access", "erk-employee"]}},
     Principal(NIP, "employee")),
    # a head of unit holds both roles: the map's order decides
    ({"nip": NIP, "realm_access": {"roles": ["erk-employee", "erk-superior"]}},
     Principal(NIP, "superior")),
    # a service account has no NIP: its client id names it
    ({"azp": "esamsat", "nip": "ignored", "realm_access": {"roles": ["erk-eservice"]}},
     Principal("esamsat", "eservice")),
])
def test_keycloaks_claims_map_onto_our_principal(claims: dict[str, Any],
                                                 principal: Principal) -> None:
    assert map_principal(KEYCLOAK, claims) == principal


def test_without_a_map_the_claim_holds_our_role_names() -> None:
    assert map_principal(oidc(), {"sub": "ops", "role": "auditor"}) == Principal("ops", "auditor")
    assert map_principal(oidc(), {"sub": "ops", "role": ["employee", "admin"]}) == Principal(
        "ops", "admin")


@pytest.mark.parametrize(("claims", "message"), [
    ({"nip": NIP}, "names no role of ours"),
    ({"nip": NIP, "realm_access": {"roles": ["default-roles-public-siasn"]}}, "no role of ours"),
    ({"nip": NIP, "realm_access": {"roles": "erk-employee-not-a-list"}}, "no role of ours"),
    ({"realm_access": {"roles": ["erk-employee"]}}, "lacks the 'nip' claim"),
    ({"nip": 199001012015032001, "realm_access": {"roles": ["erk-employee"]}}, "'nip'"),
    ({"nip": NIP, "realm_access": {"roles": ["erk-eservice"]}}, "lacks the 'azp' claim"),
])
def test_claims_that_name_nobody_are_refused(claims: dict[str, Any], message: str) -> None:
    with pytest.raises(AuthError, match=message):
        map_principal(KEYCLOAK, claims)


def token(key: Any, alg: str, **changes: Any) -> str:
    now = datetime.now(UTC)
    claims = {"iss": ISSUER, "aud": "erk", "sub": NIP, "role": "employee", "iat": now,
              "exp": now + timedelta(minutes=5), **changes}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm=alg,
                      headers={"kid": "k1"})


RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC = ec.generate_private_key(ec.SECP256R1())


@pytest.mark.parametrize(("make", "message"), [
    (lambda: token(None, "none"), "algorithm not accepted"),
    (lambda: token(LOCAL.secret.get_secret_value(), "HS256"),
     "algorithm not accepted for this issuer"),
    (lambda: token(LOCAL.secret.get_secret_value(), "HS384"), "algorithm not accepted"),
    (lambda: token(RSA, "RS512"), "algorithm not accepted"),  # not in the accepted list
    (lambda: token(RSA, "RS256", iss="https://elsewhere.example"), "issuer not accepted"),
    (lambda: token(EC, "ES256", iss="erk"), "issuer not accepted"),
    (lambda: token(RSA, "RS256", iss=None), "issuer not accepted"),
    (lambda: "a.b.c", "malformed token"),
    (lambda: "not-a-token", "malformed token"),
])
def test_refused_before_anything_is_fetched(make: Any, message: str) -> None:
    verifier = TokenVerifier(LOCAL, oidc())
    with pytest.raises(AuthError) as refused:
        verifier.verify(make())
    assert str(refused.value) == message
    assert verifier.oidc is not None and verifier.oidc._discovery is None


def test_without_a_provider_its_tokens_are_refused() -> None:
    with pytest.raises(AuthError, match=r"^issuer not accepted$"):
        TokenVerifier(LOCAL).verify(token(RSA, "RS256"))


def test_local_tokens_keep_working_beside_the_provider() -> None:
    verifier = TokenVerifier(LOCAL, oidc())
    principal = Principal(NIP, "employee")
    assert verifier.verify(issue_token(LOCAL, principal, timedelta(minutes=5))) == principal
    with pytest.raises(AuthError, match=r"^token expired$"):
        verifier.verify(issue_token(LOCAL, principal, timedelta(seconds=-1)))
