"""Settings both services share. Each service adds its own class with its own env prefix."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import topics
from shared.kafka_access import KafkaAccess, SaslMechanism, SecurityProtocol


class KafkaSettings(BaseSettings):
    """Where Kafka is and who this process is to it. Env prefix ``ERK_KAFKA_``. Each process
    gets its own principal (intake, appraisal, an e-service: docs/operations.md); the
    password has no default and is read from a file, so it is never in the environment."""

    model_config = SettingsConfigDict(env_prefix="ERK_KAFKA_", extra="ignore")

    bootstrap: str = Field("127.0.0.1:9092", description="Bootstrap servers, comma separated.")
    security_protocol: SecurityProtocol = Field(
        "PLAINTEXT", description="PLAINTEXT (no authentication) or SASL_PLAINTEXT.")
    sasl_mechanism: SaslMechanism = Field("SCRAM-SHA-256", description="SASL mechanism.")
    username: str | None = Field(None, description="The principal's name (SASL).")
    password_file: Path | None = Field(
        None, description="File holding the principal's password (SASL), mode 0600.")
    events_topic: str = Field(topics.EVENTS, description="Topic of committed events.")
    dlq_topic: str = Field(topics.EVENTS_DLQ, description="Dead-letter topic of events.")
    ingress_topic: str = Field(topics.INGRESS_ACTIVITIES, description="e-service commands in.")
    attendance_topic: str = Field(topics.INGRESS_ATTENDANCE,
                                  description="Attendance records in.")
    rejected_topic: str = Field(topics.INGRESS_REJECTED, description="Refused ingress records.")
    outcomes_topic: str = Field(topics.INGRESS_OUTCOMES,
                                description="What became of every ingress record.")
    checkpoints_topic: str = Field(topics.CHECKPOINTS, description="Signed chain checkpoints.")

    @model_validator(mode="after")
    def _credentials(self) -> "KafkaSettings":
        if self.security_protocol != "PLAINTEXT" and not (self.username and self.password_file):
            raise ValueError(f"ERK_KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs "
                             "ERK_KAFKA_USERNAME and ERK_KAFKA_PASSWORD_FILE")
        return self

    def access(self, bootstrap: str | None = None) -> KafkaAccess:
        """What the client factories of ``shared.kafka`` take (the password read now);
        ``bootstrap`` instead of the configured servers (a command's option)."""
        servers = bootstrap or self.bootstrap
        if self.security_protocol == "PLAINTEXT":
            return KafkaAccess(servers)
        assert self.password_file is not None  # the validator saw to it
        return KafkaAccess(servers, self.security_protocol, self.sasl_mechanism,
                           self.username, self.password_file.read_text().strip())


class AuthSettings(BaseSettings):
    """Bearer-token settings. Env prefix ``ERK_JWT_``. The secret has no default, on purpose."""

    model_config = SettingsConfigDict(env_prefix="ERK_JWT_", extra="ignore")

    secret: SecretStr = Field(description="HMAC key for HS256 bearer tokens (at least 32 chars).")
    issuer: str = "erk"
    audience: str = "erk"

    @model_validator(mode="after")
    def _strong_enough(self) -> "AuthSettings":
        if len(self.secret.get_secret_value()) < 32:
            raise ValueError("ERK_JWT_SECRET must be at least 32 characters")
        return self


Role = Literal["employee", "superior", "eservice", "admin", "auditor", "dashboard",
               "treasurer"]
"""What a principal may do. Defined here so the settings can map an identity provider's
roles onto it; ``shared.auth`` re-exports it."""

# Without a role map, a token's roles are read as ours; of several, the first here wins.
ROLE_PRECEDENCE: tuple[Role, ...] = ("admin", "treasurer", "auditor", "dashboard", "eservice",
                                     "superior", "employee")
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                                   "ES256", "ES384", "ES512"})
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


class OidcSettings(BaseSettings):
    """Bearer tokens from an OpenID provider (SIASN's Keycloak), beside the local HS256 ones.
    Env prefix ``ERK_OIDC_``. Without a discovery URL no such token is accepted (the default).
    Nothing is fetched until the first token from the provider arrives."""

    model_config = SettingsConfigDict(env_prefix="ERK_OIDC_", extra="ignore")

    discovery_url: str | None = Field(
        None, description="The issuer's discovery document, "
        "e.g. https://sso.example/realms/public-siasn/.well-known/openid-configuration.")
    issuer: str | None = Field(
        None, description="The `iss` tokens must carry; default: the discovery URL without "
        "its /.well-known/openid-configuration suffix (as OIDC Discovery requires).")
    audience: str | None = Field(
        None, description="The `aud` tokens must carry (required with a discovery URL).")
    algorithms: list[str] = Field(["RS256", "ES256"], description="Accepted JWS algorithms.")
    subject_claim: str = Field(
        "sub", description="Claim (dotted path) naming the principal: a NIP for persons.")
    eservice_subject_claim: str | None = Field(
        None, description="Claim naming an e-service's id, when it is another than "
        "subject_claim (Keycloak's service accounts: `client_id` or `azp`).")
    role_claim: str = Field(
        "role", description="Claim (dotted path) with the role or a list of roles, "
        "e.g. Keycloak's realm_access.roles.")
    role_map: dict[str, Role] = Field(
        default_factory=dict, description="The provider's role -> ours, in order of "
        "precedence (a token with several gets the first); empty: the claim holds our names.")
    jwks_cache_s: float = Field(
        300, gt=0, description="How long a fetched key set (and a token verified with it) "
        "is trusted; a key the provider retires stops working at most this long after.")
    jwks_cooldown_s: float = Field(
        30, ge=0, description="Least time between key set fetches for an unknown key id.")
    leeway_s: float = Field(10, ge=0, description="Clock skew allowed on exp, nbf and iat.")
    timeout_s: float = Field(5, gt=0, description="Timeout of each call to the provider.")
    retry_s: float = Field(
        5, ge=0, description="After the provider failed to answer, how long tokens needing "
        "it are answered 'unavailable' without asking it again.")
    dashboard_client_id: str | None = Field(
        None, description="Public client (authorization code + PKCE) the dashboard signs "
        "in with; without it the dashboard takes a pasted token.")
    dashboard_scope: str = Field("openid", description="Scope the dashboard asks for.")

    @property
    def enabled(self) -> bool:
        return self.discovery_url is not None

    @property
    def expected_issuer(self) -> str | None:
        if self.issuer or not self.discovery_url:
            return self.issuer
        return self.discovery_url.removesuffix(DISCOVERY_SUFFIX)

    @property
    def roles(self) -> dict[str, Role]:
        return self.role_map or {role: role for role in ROLE_PRECEDENCE}

    @model_validator(mode="after")
    def _complete(self) -> "OidcSettings":
        if not self.discovery_url:
            return self
        if not self.audience:
            raise ValueError("ERK_OIDC_AUDIENCE is required with ERK_OIDC_DISCOVERY_URL")
        if not self.issuer and not self.discovery_url.endswith(DISCOVERY_SUFFIX):
            raise ValueError(f"ERK_OIDC_DISCOVERY_URL must end in {DISCOVERY_SUFFIX}, "
                             "or set ERK_OIDC_ISSUER")
        refused = set(self.algorithms) - ASYMMETRIC_ALGORITHMS
        if refused or not self.algorithms:
            raise ValueError(f"ERK_OIDC_ALGORITHMS: only {sorted(ASYMMETRIC_ALGORITHMS)} "
                             f"are accepted, not {sorted(refused)}")
        return self


LOCAL_STORE_URL = "postgresql+asyncpg://erk:erk@127.0.0.1:5432/erk_intake"
"""The event store of the local stack (intake's database)."""


class EventStoreSettings(BaseSettings):
    """Where the event store is, for its readers (replay, verify). The store is intake's
    database, so its location is intake's variable: ``INTAKE_DATABASE_URL``."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    database_url: str = Field(LOCAL_STORE_URL, description="SQLAlchemy URL of the event store.")


Environment = Literal["dev", "prod"]


def reject_dev_password(url: str, environment: Environment, name: str) -> None:
    """Production must not run on the local stack's well-known password."""
    if environment == "prod" and ":erk@" in url:
        raise ValueError(f"{name} uses the development password; set a real one for prod")
