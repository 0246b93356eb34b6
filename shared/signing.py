"""Ed25519 keys for signing checkpoints of the event chain, kept outside the database.

The private key is a PEM file (PKCS#8) only the signing process can read, or a KMS: anything
with ``sign(data) -> signature`` and ``public_key`` is a :class:`Signer`, so a cloud KMS or
an HSM replaces :class:`FileSigner` without touching the callers. Auditors hold only the
public key (a PEM file beside it). Neither is ever in the repository; ``generate_key_files``
makes a fresh pair for a deployment (or a test).
"""

import hashlib
import os
import stat
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class Signer(Protocol):
    """Signs bytes with a private key it never hands out (a file, a KMS, an HSM)."""

    @property
    def public_key(self) -> Ed25519PublicKey: ...

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature (64 bytes) of ``data``."""
        ...


class KeyFileError(ValueError):
    """A key file that is missing, unreadable, of the wrong kind, or readable by others."""


class LocalSigner:
    """A signer over a private key held in memory (a key file, or a test vector's seed)."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)


class FileSigner(LocalSigner):
    """The signer of a PEM private key file; refuses a file others may read (like ssh)."""

    def __init__(self, path: Path) -> None:
        super().__init__(load_private_key(path))
        self.path = path


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name of a public key: the first 8 bytes of sha256 of its raw bytes,
    in hex. Signed into every checkpoint, so a signature cannot be passed off as another
    key's."""
    return hashlib.sha256(raw_public_bytes(public_key)).hexdigest()[:16]


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_path(private_path: Path) -> Path:
    """Where :func:`generate_key_files` puts the public half: ``<private>.pub``."""
    return private_path.with_name(private_path.name + ".pub")


def generate_key_files(path: Path) -> tuple[Path, Path]:
    """A new key pair: the private key at ``path`` (mode 0600, never overwritten) and the
    public key at ``path.pub``. Returns both paths."""
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: an existing key is never replaced by accident (checkpoints depend on it)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{path} already exists; not overwriting a signing key") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(private_pem)
    public = public_key_path(path)
    public.write_bytes(public_pem(key.public_key()))
    return path, public


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    mode = _read_mode(path)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} is accessible by group or others (mode {mode & 0o777:o}); "
                           "chmod 600 it")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    _read_mode(path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except ValueError as exc:
        raise KeyFileError(f"{path} is not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} is not an Ed25519 public key")
    return key


def _read_mode(path: Path) -> int:
    try:
        return path.stat().st_mode
    except OSError as exc:
        raise KeyFileError(f"key file {path}: {exc.strerror}") from exc
