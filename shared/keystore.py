"""Per-person data keys (crypto-shredding), behind a KMS-shaped port.

Every data subject (an employee, by NIP in this round) has one random 256-bit data key; the
personal fields of their events are sealed with it (``shared.personal``). The key store keeps
each data key only *wrapped* by a master key that lives outside every database (a file of
mode 0600 here; a cloud KMS or an HSM in a real deployment: anything with ``wrap/unwrap``).
Destroying a subject's key makes every sealed field of theirs unreadable for good, in the
event store, on Kafka, in projections and in any copy, while the hash chain, which covers
the ciphertext, still verifies.

Adapters: :class:`InMemoryKeyStore` (tests) and ``shared.keystore_pg.PostgresKeyStore`` (its
own database and role); both pass one contract suite (tests/support/keystore_contract.py).
"""

import os
import secrets
import stat
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_KEY_BYTES = 32
NONCE_BYTES = 12


class SubjectErased(Exception):
    """The subject's key was destroyed: nothing can be sealed for or opened of them again."""


class KeyFileError(ValueError):
    """A master key file that is missing, malformed or readable by others."""


class KeyWrapper(Protocol):
    """The KMS part: wraps and unwraps data keys with a key it never hands out."""

    def wrap(self, data_key: bytes, subject: str) -> bytes: ...

    def unwrap(self, wrapped: bytes, subject: str) -> bytes:
        """The data key; raises ValueError when ``wrapped`` was not made for ``subject``."""
        ...


class KeyStore(Protocol):
    """Per-subject data keys. ``data_key_for`` makes one on first use; ``key_of`` only reads
    (None: never made, or destroyed); ``destroy`` is final and idempotent."""

    async def data_key_for(self, subject: str) -> bytes:
        """The subject's data key, made now if they have none; SubjectErased once destroyed."""
        ...

    async def key_of(self, subject: str) -> bytes | None: ...

    async def destroy(self, subject: str) -> bool:
        """Destroy the subject's key (a tombstone stays, so it is never made again); True
        when this call destroyed it, False when it was already gone."""
        ...

    async def is_erased(self, subject: str) -> bool: ...


class MasterKey:
    """AES-256-GCM key wrapping with the subject as associated data: a wrapped key moved to
    another subject's row does not unwrap."""

    def __init__(self, key: bytes) -> None:
        if len(key) != DATA_KEY_BYTES:
            raise KeyFileError(f"a master key has {DATA_KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)

    def wrap(self, data_key: bytes, subject: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data_key, _wrap_aad(subject))

    def unwrap(self, wrapped: bytes, subject: str) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:],
                                      _wrap_aad(subject))
        except InvalidTag as exc:
            raise ValueError(f"the wrapped key is not {subject}'s under this master key") from exc


def _wrap_aad(subject: str) -> bytes:
    return f"erk-data-key/v1|{subject}".encode()


def new_data_key() -> bytes:
    return secrets.token_bytes(DATA_KEY_BYTES)


def load_master_key(path: Path) -> MasterKey:
    """The master key from a file of 64 hex digits that only its owner may read."""
    try:
        mode = path.stat().st_mode
        text = path.read_text().strip()
    except OSError as exc:
        raise KeyFileError(f"cannot read the master key file {path}: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} is readable by others: chmod 600 it")
    try:
        return MasterKey(bytes.fromhex(text))
    except ValueError as exc:
        raise KeyFileError(f"{path} does not hold 64 hex digits") from exc


def write_master_key(path: Path) -> None:
    """A fresh master key file (mode 0600); refuses to overwrite one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(DATA_KEY_BYTES) + "\n")


class InMemoryKeyStore:
    """The key store in a dict: unit tests, and the benchmarks' synthetic histories."""

    def __init__(self, wrapper: KeyWrapper) -> None:
        self._wrapper = wrapper
        self._wrapped: dict[str, bytes | None] = {}

    async def data_key_for(self, subject: str) -> bytes:
        if subject not in self._wrapped:
            self._wrapped[subject] = self._wrapper.wrap(new_data_key(), subject)
        wrapped = self._wrapped[subject]
        if wrapped is None:
            raise SubjectErased(subject)
        return self._wrapper.unwrap(wrapped, subject)

    async def key_of(self, subject: str) -> bytes | None:
        wrapped = self._wrapped.get(subject)
        return None if wrapped is None else self._wrapper.unwrap(wrapped, subject)

    async def destroy(self, subject: str) -> bool:
        destroyed = self._wrapped.get(subject) is not None
        self._wrapped[subject] = None
        return destroyed

    async def is_erased(self, subject: str) -> bool:
        return subject in self._wrapped and self._wrapped[subject] is None


class KeyStoreSettings(BaseSettings):
    """Where the key store is. Env prefix ``ERK_KEYS_``. Neither setting has a default: a
    process that handles personal data refuses to start without its key store."""

    model_config = SettingsConfigDict(env_prefix="ERK_KEYS_", extra="ignore")

    database_url: str = Field(description="SQLAlchemy URL of the key database (erk_keys), "
                              "apart from the event store, with its own role.")
    master_key_file: Path = Field(description="File (64 hex digits, mode 0600) holding the "
                                  "master key that wraps every data key; a KMS in production.")
