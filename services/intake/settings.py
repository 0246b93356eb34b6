"""Intake settings. Env prefix ``INTAKE_``; Kafka and JWT settings come from shared."""

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import LOCAL_STORE_URL, Environment, reject_dev_password


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    environment: Environment = "dev"
    database_url: str = Field(
        LOCAL_STORE_URL,
        description="SQLAlchemy URL of the intake database (event store + write model).",
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8001
    relay_batch_size: int = Field(2000, ge=1, description="Events published per relay round.")
    relay_idle_poll_s: float = Field(
        1.0, gt=0, description="Relay poll interval when no NOTIFY arrives (safety net)."
    )
    ingress_group: str = "erk-intake-ingress"
    max_batch: int = Field(1000, ge=1, description="Most activities in one batch request.")
    policy_file: Path | None = Field(
        None, description="Policy YAML applied on start when the store has none yet."
    )
    period_closer_interval_s: float = Field(
        60.0, gt=0, description="How often periods whose close day has come are closed "
        "(also once on start).")

    @model_validator(mode="after")
    def _no_dev_secrets_in_prod(self) -> "IntakeSettings":
        reject_dev_password(self.database_url, self.environment, "INTAKE_DATABASE_URL")
        return self
