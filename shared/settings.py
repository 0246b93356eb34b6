"""Settings both services share. Each service adds its own class with its own env prefix."""

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import topics


class KafkaSettings(BaseSettings):
    """Where Kafka is. Env prefix ``ERK_KAFKA_``."""

    model_config = SettingsConfigDict(env_prefix="ERK_KAFKA_", extra="ignore")

    bootstrap: str = Field("127.0.0.1:9092", description="Bootstrap servers, comma separated.")
    events_topic: str = Field(topics.EVENTS, description="Topic of committed events.")
    dlq_topic: str = Field(topics.EVENTS_DLQ, description="Dead-letter topic of events.")
    ingress_topic: str = Field(topics.INGRESS_ACTIVITIES, description="e-service commands in.")
    rejected_topic: str = Field(topics.INGRESS_REJECTED, description="Refused ingress records.")


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
