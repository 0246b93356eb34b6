"""The in-memory key store against the key store contract, and the master key's wrapping."""

import os
from pathlib import Path

import pytest

from shared.keystore import (
    InMemoryKeyStore,
    KeyFileError,
    MasterKey,
    load_master_key,
    new_data_key,
    write_master_key,
)
from tests.support.keystore_contract import KeyStoreContract


class TestInMemoryKeyStore(KeyStoreContract):
    @pytest.fixture
    def keys(self) -> InMemoryKeyStore:
        return InMemoryKeyStore(MasterKey(os.urandom(32)))


def test_a_wrapped_key_opens_only_for_its_subject_under_its_master() -> None:
    master, data_key = MasterKey(os.urandom(32)), new_data_key()
    wrapped = master.wrap(data_key, "a")
    assert data_key not in wrapped
    assert master.unwrap(wrapped, "a") == data_key
    with pytest.raises(ValueError, match="not b's"):
        master.unwrap(wrapped, "b")
    with pytest.raises(ValueError):
        MasterKey(os.urandom(32)).unwrap(wrapped, "a")


def test_the_master_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_master_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    load_master_key(path)
    with pytest.raises(FileExistsError):
        write_master_key(path)
    path.chmod(0o640)
    with pytest.raises(KeyFileError, match="readable by others"):
        load_master_key(path)


def test_a_malformed_or_missing_master_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.key"
    path.write_text("abcd\n")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="64 hex digits"):
        load_master_key(path)
    with pytest.raises(KeyFileError, match="cannot read"):
        load_master_key(tmp_path / "absent.key")
