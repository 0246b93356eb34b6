"""Intake settings. Env prefix ``INTAKE_``; Kafka and JWT settings come from shared."""

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import topics
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
    relay_stall_after_s: float = Field(
        30.0, gt=0, description="Health says the relay is stalled (and /health degraded) when "
        "it is behind the store and its checkpoint has not moved for this long.")
    ingress_group: str = topics.INGRESS_GROUP
    max_batch: int = Field(1000, ge=1, description="Most activities in one batch request.")
    policy_file: Path | None = Field(
        None, description="Policy YAML applied on start when the store has none yet."
    )
    period_closer_interval_s: float = Field(
        60.0, gt=0, description="How often periods whose close day has come are closed "
        "(also once on start).")
    eraser_interval_s: float = Field(
        300.0, gt=0, description="How often erasure requests whose retention has passed are "
        "carried out (the person's data key destroyed; also once on start).")
    appraisal_url: str | None = Field(
        None, description="Base URL of appraisal (e.g. http://127.0.0.1:8002): the close of a "
        "period a 2022-regime policy governs reads its distribution-curve check there, with "
        "a short-lived auditor token intake signs with ERK_JWT_SECRET. Unset: such a close "
        "answers 503 appraisal_unavailable.")
    appraisal_timeout_s: float = Field(
        10.0, gt=0, description="How long the close waits for appraisal's answer.")

    relay_key_file: Path | None = Field(
        None, description="Secret (hex, 32 bytes or more, mode 0600) the relay MACs every "
        "record it publishes with (shared.record_mac); the appraisal consumer checks it. "
        "Required in prod.")
    pseudonym_key_file: Path = Field(
        description="Secret (hex, 32 bytes or more, mode 0600) the relay turns NIPs into the "
        "opaque subject ids that key the events topic with (shared.pseudonym); "
        "APPRAISAL_PSEUDONYM_KEY_FILE names the same file. Required: no record key "
        "carries a NIP.")

    @model_validator(mode="after")
    def _no_dev_secrets_in_prod(self) -> "IntakeSettings":
        reject_dev_password(self.database_url, self.environment, "INTAKE_DATABASE_URL")
        if self.environment == "prod" and self.relay_key_file is None:
            raise ValueError("INTAKE_RELAY_KEY_FILE is required in prod: consumers accept "
                             "only records the relay MACed")
        return self
