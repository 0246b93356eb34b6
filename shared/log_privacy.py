"""No personal data in logs beyond ids (UU PDP): the last line of defence.

The code logs ids (positions, offsets, codes, subject ids), never a NIP, a name or free
text. What it cannot control is third-party text: a PostgreSQL error's ``DETAIL`` names
the conflicting values ("Key (nip)=(1968...) already exists"), and a traceback prints it.
SQLAlchemy engines already hide statement parameters (``shared.db``); this record factory
also rewrites every log record as it is made, before any handler (or a test's capture)
sees it: a ``DETAIL`` line is withheld, and anything shaped like a NIP (18 digits, spaces
allowed between its parts) becomes ``[nip]``. Names cannot be recognised by shape: that
is the code's job, and ``tests/integration/test_log_privacy.py`` checks it. aiokafka's
DEBUG lines print whole records (keys and values, so names and comments): its loggers
never go below INFO.
"""

import logging
import re
from typing import Any

NIP_SHAPE = re.compile(r"(?<!\d)\d{8} ?\d{6} ?\d ?\d{3}(?!\d)")
DETAIL_LINE = re.compile(r"(DETAIL:).*$", re.MULTILINE)
_FORMATTER = logging.Formatter()
RECORD_PRINTING_LOGGERS = ("aiokafka",)
"""Libraries whose DEBUG output carries message contents."""


def redact(text: str) -> str:
    """``text`` with database details withheld and NIP-shaped numbers replaced."""
    return NIP_SHAPE.sub("[nip]", DETAIL_LINE.sub(r"\1 [withheld]", text))


def _redacted(record: logging.LogRecord) -> logging.LogRecord:
    record.msg, record.args = redact(record.getMessage()), None
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
    return record


def install() -> None:
    """Make every log record of this process redacted, and keep the libraries that print
    records above DEBUG (idempotent)."""
    for name in RECORD_PRINTING_LOGGERS:
        library = logging.getLogger(name)
        library.setLevel(max(library.getEffectiveLevel(), logging.INFO))
    made = logging.getLogRecordFactory()
    if getattr(made, "redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redacted(made(*args, **kwargs))

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
