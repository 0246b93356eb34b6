"""The tests' principals on the stack's broker. `deploy/stack test` exports admin's settings
(.local/env): tests that make their own topics run their clients and in-process services as
admin; the broker-security tests take each service principal's password from
``ERK_KAFKA_CREDENTIALS_DIR`` (.local/kafka-credentials)."""

import os
from pathlib import Path

from shared.kafka_access import KafkaAccess

SECURITY_VARIABLES = ("ERK_KAFKA_SECURITY_PROTOCOL", "ERK_KAFKA_SASL_MECHANISM",
                      "ERK_KAFKA_USERNAME", "ERK_KAFKA_PASSWORD_FILE")


def security_env() -> dict[str, str]:
    """This process's principal, for a child process that is given its own ERK_KAFKA_*."""
    return {name: os.environ[name] for name in SECURITY_VARIABLES if name in os.environ}


def credentials_dir() -> Path | None:
    where = os.environ.get("ERK_KAFKA_CREDENTIALS_DIR")
    return Path(where) if where else None


def principal(access: KafkaAccess, name: str) -> KafkaAccess:
    """``access``'s brokers as the stack's principal ``name`` (intake, appraisal, eservice)."""
    where = credentials_dir()
    assert where is not None, "ERK_KAFKA_CREDENTIALS_DIR is not set (run `deploy/stack test`)"
    return access.as_user(name, (where / f"{name}.password").read_text().strip())
