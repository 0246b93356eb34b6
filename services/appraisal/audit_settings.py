"""Settings of ``erk-appraisal audit verify``'s anchoring check. Env prefix
``APPRAISAL_CHECKPOINT_``; the checkpoints topic is ``ERK_KAFKA_CHECKPOINTS_TOPIC``."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APPRAISAL_CHECKPOINT_", extra="ignore")

    public_key_file: Path | None = Field(
        None, description="Ed25519 public key (PEM) the chain's checkpoints must be signed "
        "with: the auditor's own copy, never read from the database. Without it nothing "
        "counts as anchored.")
