"""Appraisal settings. Env prefix ``APPRAISAL_``; Kafka and JWT settings come from shared."""

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.appraisal.domain.authenticity import OPEN, Gate
from shared import topics
from shared.pseudonym import Pseudonyms, load_pseudonyms
from shared.record_mac import load_relay_key
from shared.settings import Environment, reject_dev_password


class AppraisalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APPRAISAL_", extra="ignore")

    environment: Environment = "dev"
    database_url: str = Field(
        "postgresql+asyncpg://erk:erk@127.0.0.1:5432/erk_appraisal",
        description="SQLAlchemy URL of the projection database.",
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8002
    consumer_group: str = Field(topics.APPRAISAL_GROUP, description="Kafka consumer group.")
    max_batch: int = Field(
        20_000, ge=1,
        description="Most records applied in one transaction. Under load, bigger batches "
        "amortise the round trips; at low load a batch is whatever arrived, so freshness "
        "does not suffer.")
    consumer_stall_after_s: float = Field(
        30.0, gt=0, description="Health says the consumer is stalled (and /health degraded) "
        "when records wait and nothing was applied for this long.")
    poll_ms: int = Field(100, ge=1, description="How long a poll waits for records.")
    key_cache_s: float = Field(
        30.0, gt=0, description="How long the read API keeps a person's data key (or its "
        "absence) before asking the key store again: an erased person's fields read "
        "'[erased]' at the latest this long after the erasure.")

    relay_key_file: Path | None = Field(
        None, description="The relay's MAC secret (the file INTAKE_RELAY_KEY_FILE names): "
        "only records of the events topic with its valid MAC are applied, anything else is "
        "dead-lettered. Required in prod; without it (dev) every record is accepted.")
    unsigned_up_to: int = Field(
        0, ge=0, description="Records without a MAC are accepted up to this global "
        "position: the history published before the relay MACed (docs/audit.md).")

    @model_validator(mode="after")
    def _no_dev_secrets_in_prod(self) -> "AppraisalSettings":
        reject_dev_password(self.database_url, self.environment, "APPRAISAL_DATABASE_URL")
        if self.environment == "prod" and self.relay_key_file is None:
            raise ValueError("APPRAISAL_RELAY_KEY_FILE is required in prod: the events "
                             "topic is only trusted with the relay's MAC")
        return self

    def gate(self) -> Gate:
        """Which records of the events topic the projections accept."""
        if self.relay_key_file is None:
            return OPEN
        return Gate(load_relay_key(self.relay_key_file), self.unsigned_up_to)


class PseudonymSettings(BaseSettings):
    """What recomputes the relay's record keys from the event store (``audit replay --from
    store``, ``audit verify``) needs: the live consumer does not (it reads the keys)."""

    model_config = SettingsConfigDict(env_prefix="APPRAISAL_", extra="ignore")

    pseudonym_key_file: Path = Field(
        description="The relay's pseudonym secret (the file INTAKE_PSEUDONYM_KEY_FILE names): "
        "it turns NIPs into the subject ids that key the events topic (shared.pseudonym).")

    def pseudonyms(self) -> Pseudonyms:
        return load_pseudonyms(self.pseudonym_key_file)
