"""Settings of intake's checkpointer. Env prefix ``INTAKE_CHECKPOINT_``.

The signing key is a file outside the repository and outside PostgreSQL (or, later, a KMS
behind ``shared.signing.Signer``). It has no default: in ``prod`` intake refuses to start
without one; in ``dev`` no key means no checkpoints (and ``audit verify`` says the history
is unanchored).
"""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import Environment
from shared.signing import FileSigner, Signer


class CheckpointSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_CHECKPOINT_", extra="ignore")

    key_file: Path | None = Field(
        None, description="Ed25519 private key (PEM, mode 0600) that signs checkpoints; make "
        "one with `erk-intake checkpoint-key generate PATH`. Required in prod.")
    interval_s: float = Field(
        60.0, gt=0, description="A checkpoint at least this often while events arrive.")
    every_events: int = Field(
        10_000, ge=1, description="... and as soon as this many events are unanchored.")

    def signer(self, environment: Environment) -> Signer | None:
        """The configured signer; None in dev without a key; an error in prod without one."""
        if self.key_file is None:
            if environment == "prod":
                raise ValueError("INTAKE_CHECKPOINT_KEY_FILE is required in prod: the chain "
                                 "must be anchored by a key outside the database")
            return None
        return FileSigner(self.key_file)
