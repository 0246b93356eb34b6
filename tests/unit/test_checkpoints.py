"""Signed checkpoints: fixed test vectors (the signed bytes and the Ed25519 signature, from
a known seed; OpenSSL's `pkeyutl -sign -rawin` gives the same signature), verification,
the wire form, and key files."""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared import checkpoints as cps
from shared.signing import (
    FileSigner,
    KeyFileError,
    LocalSigner,
    generate_key_files,
    key_id,
    load_public_key,
    raw_public_bytes,
)

pytestmark = pytest.mark.unit

SEED = bytes(range(32))  # 00 01 02 ... 1f
PUBLIC_KEY = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
KEY_ID = "56475aa75463474c"
CANONICAL = (b"erk-checkpoint/v1\n"
             b"log: 1111111111111111111111111111111111111111111111111111111111111111\n"
             b"position: 4242\n"
             b"hash: 2222222222222222222222222222222222222222222222222222222222222222\n"
             b"signed-at: 2026-03-01T03:00:00.123456Z\n"
             b"key-id: 56475aa75463474c\n")
SIGNATURE = ("9b4585538de93ee6eb85b24458dd3766231ab8e7c911d185efb8967f3b2b68dd"
             "5933c1751f738d152417c40e9de6c32f575a44ed627aa7789a2778b4ef34a803")


def signer() -> LocalSigner:
    return LocalSigner(Ed25519PrivateKey.from_private_bytes(SEED))


def vector() -> cps.Checkpoint:
    return cps.Checkpoint(bytes([0x11]) * 32, 4242, bytes([0x22]) * 32,
                          datetime(2026, 3, 1, 3, 0, 0, 123456, tzinfo=UTC), KEY_ID)


def test_the_key_of_the_seed() -> None:
    assert raw_public_bytes(signer().public_key).hex() == PUBLIC_KEY
    assert key_id(signer().public_key) == KEY_ID


def test_canonical_bytes_and_signature_vector() -> None:
    assert cps.canonical_bytes(vector()) == CANONICAL
    signed = cps.sign(vector(), signer())
    assert signed.signature.hex() == SIGNATURE
    assert cps.verify(signed, signer().public_key)


def test_the_time_is_signed_in_utc_whatever_zone_it_comes_in() -> None:
    from zoneinfo import ZoneInfo
    jakarta = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Jakarta"))
    moved = cps.Checkpoint(vector().log_id, 4242, vector().hash, jakarta, KEY_ID)
    assert cps.canonical_bytes(moved) == CANONICAL


@pytest.mark.parametrize("change", ["position", "hash", "log_id", "signed_at"])
def test_a_changed_field_fails_verification(change: str) -> None:
    signed = cps.sign(vector(), signer())
    original = vector()
    changed = {
        "position": cps.Checkpoint(original.log_id, 4243, original.hash, original.signed_at,
                                   KEY_ID),
        "hash": cps.Checkpoint(original.log_id, 4242, bytes(32), original.signed_at, KEY_ID),
        "log_id": cps.Checkpoint(bytes(32), 4242, original.hash, original.signed_at, KEY_ID),
        "signed_at": cps.Checkpoint(original.log_id, 4242, original.hash,
                                    datetime(2026, 3, 1, 3, tzinfo=UTC), KEY_ID),
    }[change]
    assert not cps.verify(cps.SignedCheckpoint(changed, signed.signature), signer().public_key)


def test_another_key_is_refused() -> None:
    other = LocalSigner(Ed25519PrivateKey.generate())
    with pytest.raises(ValueError, match="another key"):
        cps.sign(vector(), other)  # the checkpoint names the seed's key
    forged = cps.SignedCheckpoint(vector(), other.sign(CANONICAL))
    assert not cps.verify(forged, signer().public_key)
    own = cps.sign(cps.Checkpoint(vector().log_id, 4242, vector().hash, vector().signed_at,
                                  key_id(other.public_key)), other)
    assert cps.verify(own, other.public_key)
    assert not cps.verify(own, signer().public_key)  # names another key id


def test_wire_form_round_trip_and_junk() -> None:
    signed = cps.sign(vector(), signer())
    assert cps.decode(cps.encode(signed)) == signed
    for junk in [b"not json", b"{}", b'{"format": "erk-checkpoint/v1"}',
                 cps.encode(signed).replace(b'"position":4242', b'"position":"4242"')]:
        with pytest.raises(ValueError):
            cps.decode(junk)


def test_checkpoint_fields_are_checked() -> None:
    with pytest.raises(ValueError):
        cps.Checkpoint(b"short", 1, bytes(32), vector().signed_at, KEY_ID)
    with pytest.raises(ValueError):
        cps.Checkpoint(bytes(32), 0, bytes(32), vector().signed_at, KEY_ID)
    with pytest.raises(ValueError):
        cps.Checkpoint(bytes(32), 1, bytes(32), datetime(2026, 3, 1), KEY_ID)


def test_key_files(tmp_path: Path) -> None:
    private, public = generate_key_files(tmp_path / "keys" / "checkpoint.pem")
    assert public == tmp_path / "keys" / "checkpoint.pem.pub"
    assert os.stat(private).st_mode & 0o777 == 0o600
    file_signer = FileSigner(private)
    assert key_id(file_signer.public_key) == key_id(load_public_key(public))
    with pytest.raises(KeyFileError, match="already exists"):
        generate_key_files(private)
    os.chmod(private, 0o640)
    with pytest.raises(KeyFileError, match="group or others"):
        FileSigner(private)
    with pytest.raises(KeyFileError, match="not a PEM public key"):
        load_public_key(private)


def test_a_missing_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=r"nothing\.pem"):
        FileSigner(tmp_path / "nothing.pem")


def test_prod_needs_a_signing_key_and_dev_runs_without(tmp_path: Path) -> None:
    from services.intake.checkpoint_settings import CheckpointSettings

    with pytest.raises(ValueError, match="INTAKE_CHECKPOINT_KEY_FILE is required in prod"):
        CheckpointSettings(key_file=None).signer("prod")
    assert CheckpointSettings(key_file=None).signer("dev") is None
    private, _ = generate_key_files(tmp_path / "k.pem")
    made = CheckpointSettings(key_file=private).signer("prod")
    assert made is not None and key_id(made.public_key) == key_id(FileSigner(private).public_key)


def test_the_key_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from services.intake.entrypoints.cli import app

    runner, path = CliRunner(), tmp_path / "local" / "checkpoint.pem"
    made = runner.invoke(app, ["checkpoint-key", "generate", str(path)])
    assert made.exit_code == 0, made.output
    expected = key_id(load_public_key(Path(f"{path}.pub")))
    assert expected in made.output and os.stat(path).st_mode & 0o777 == 0o600
    assert runner.invoke(app, ["checkpoint-key", "generate", str(path)]).exit_code != 0
    kept = runner.invoke(app, ["checkpoint-key", "generate", "--if-missing", str(path)])
    assert kept.exit_code == 0 and "kept" in kept.output
    shown = runner.invoke(app, ["checkpoint-key", "show", f"{path}.pub"])
    assert shown.exit_code == 0 and shown.output.strip() == expected
