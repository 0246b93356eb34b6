"""The one contract every key store adapter passes (shared.keystore.KeyStore): the in-memory
one in tests/unit, PostgreSQL's in tests/integration. A subclass provides ``keys``."""

import uuid

import pytest

from shared.keystore import DATA_KEY_BYTES, KeyStore, SubjectErased


def subject() -> str:
    return f"subject-{uuid.uuid4().hex[:12]}"


class KeyStoreContract:
    async def test_a_subject_gets_one_key_that_stays(self, keys: KeyStore) -> None:
        who = subject()
        first = await keys.data_key_for(who)
        assert len(first) == DATA_KEY_BYTES
        assert await keys.data_key_for(who) == first
        assert await keys.key_of(who) == first

    async def test_subjects_get_different_keys(self, keys: KeyStore) -> None:
        assert await keys.data_key_for(subject()) != await keys.data_key_for(subject())

    async def test_reading_makes_no_key(self, keys: KeyStore) -> None:
        who = subject()
        assert await keys.key_of(who) is None
        assert not await keys.is_erased(who)
        assert await keys.key_of(who) is None

    async def test_a_destroyed_key_is_gone_for_good(self, keys: KeyStore) -> None:
        who = subject()
        await keys.data_key_for(who)
        assert await keys.destroy(who) is True
        assert await keys.key_of(who) is None
        assert await keys.is_erased(who)
        with pytest.raises(SubjectErased):
            await keys.data_key_for(who)  # never made again

    async def test_destroying_twice_or_an_unknown_subject_is_harmless(
            self, keys: KeyStore) -> None:
        who, stranger = subject(), subject()
        await keys.data_key_for(who)
        assert await keys.destroy(who) is True
        assert await keys.destroy(who) is False
        assert await keys.destroy(stranger) is False
        with pytest.raises(SubjectErased):  # a tombstone: no key is made for them later
            await keys.data_key_for(stranger)

    async def test_destroying_one_subject_keeps_the_others(self, keys: KeyStore) -> None:
        gone, kept = subject(), subject()
        await keys.data_key_for(gone)
        key = await keys.data_key_for(kept)
        await keys.destroy(gone)
        assert await keys.key_of(kept) == key
