"""The pseudonym secret the tests' relays, replays and service processes share.

``deploy/stack test`` exports the stack's own (.local/pseudonym.key); a bare pytest run
gets a throw-away one, made once per session in a private temporary directory."""

import os
import secrets
import tempfile
from pathlib import Path

from shared.pseudonym import Pseudonyms, load_pseudonyms

INTAKE_VARIABLE, APPRAISAL_VARIABLE = "INTAKE_PSEUDONYM_KEY_FILE", "APPRAISAL_PSEUDONYM_KEY_FILE"


def ensure_test_key() -> Path:
    """The key file both services are told about (made if none is configured)."""
    configured = os.environ.get(INTAKE_VARIABLE)
    if configured is None:
        path = Path(tempfile.mkdtemp(prefix="erk-test-pseudonym-")) / "pseudonym.key"
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
        configured = str(path)
    os.environ[INTAKE_VARIABLE] = os.environ[APPRAISAL_VARIABLE] = configured
    return Path(configured)


def pseudonym_env() -> dict[str, str]:
    """The variables a service process needs for the tests' key."""
    path = str(ensure_test_key())
    return {INTAKE_VARIABLE: path, APPRAISAL_VARIABLE: path}


def pseudonyms() -> Pseudonyms:
    """The tests' pseudonyms: what the relay keys the events topic with."""
    return load_pseudonyms(ensure_test_key())
