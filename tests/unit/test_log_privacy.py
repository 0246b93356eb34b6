"""The log record factory withholds what third-party text would leak: database DETAIL
lines and NIP-shaped numbers, in messages and tracebacks alike."""

import logging

import pytest

from shared import log_privacy
from shared.log_privacy import redact

NIP = "199001012015032001"


def test_nips_with_or_without_spaces_and_detail_lines_are_withheld() -> None:
    assert redact(f"employee {NIP} and 19900101 201503 2 001") == (
        "employee [nip] and [nip]")
    assert redact(f"duplicate key\nDETAIL:  Key (nip)=({NIP}) already exists.\nnext") == (
        "duplicate key\nDETAIL: [withheld]\nnext")


def test_ids_that_are_not_nip_shaped_stay() -> None:
    kept = "position 1990010120150320011, offset 19900101201503200, subject 3fa9c1d2"
    assert redact(kept) == kept


def test_every_record_is_redacted_once_installed(caplog: pytest.LogCaptureFixture) -> None:
    before = logging.getLogRecordFactory()
    try:
        log_privacy.install()
        installed = logging.getLogRecordFactory()
        log_privacy.install()  # idempotent: one wrapper only
        assert logging.getLogRecordFactory() is installed
        assert logging.getLogger("aiokafka").getEffectiveLevel() >= logging.INFO
        with caplog.at_level(logging.INFO):
            try:
                raise ValueError(f"DETAIL:  Key (nip)=({NIP}) already exists.")
            except ValueError:
                logging.getLogger("erk.test").exception("batch of %s failed", NIP)
        (record,) = caplog.records
        assert record.getMessage() == "batch of [nip] failed"
        assert NIP not in caplog.text and "DETAIL: [withheld]" in caplog.text
    finally:
        logging.setLogRecordFactory(before)
