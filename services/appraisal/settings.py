"""Appraisal settings. Env prefix ``APPRAISAL_``; Kafka and JWT settings come from shared."""

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    consumer_group: str = Field("erk-appraisal", description="Kafka consumer group.")
    max_batch: int = Field(
        20_000, ge=1,
        description="Most records applied in one transaction. Under load, bigger batches "
        "amortise the round trips; at low load a batch is whatever arrived, so freshness "
        "does not suffer.")
    poll_ms: int = Field(100, ge=1, description="How long a poll waits for records.")

    @model_validator(mode="after")
    def _no_dev_secrets_in_prod(self) -> "AppraisalSettings":
        reject_dev_password(self.database_url, self.environment, "APPRAISAL_DATABASE_URL")
        return self
