"""The PostgreSQL key store against the key store contract (the same suite the in-memory
one passes in tests/unit), on a fresh key database; and what its rows hold."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from shared.db import make_engine
from shared.keystore import MasterKey
from shared.keystore_pg import PostgresKeyStore, subject_keys
from tests.support.keystore_contract import KeyStoreContract, subject

MASTER = MasterKey(bytes(range(32)))


@pytest.fixture
async def keys_url(create_database: Any) -> str:
    url: str = await create_database("keys")
    return url


@pytest.fixture
async def keys(keys_url: str) -> AsyncIterator[PostgresKeyStore]:
    engine = make_engine(keys_url)
    try:
        yield PostgresKeyStore(engine, MASTER)
    finally:
        await engine.dispose()


class TestPostgresKeyStore(KeyStoreContract):
    pass


async def test_rows_hold_only_wrapped_keys_and_tombstones(keys_url: str) -> None:
    engine = make_engine(keys_url)
    try:
        store = PostgresKeyStore(engine, MASTER)
        who = subject()
        key = await store.data_key_for(who)
        async with engine.connect() as conn:
            wrapped = (await conn.execute(select(subject_keys.c.wrapped)
                                          .where(subject_keys.c.subject == who))).scalar_one()
        assert key not in wrapped and MASTER.unwrap(wrapped, who) == key
        await store.destroy(who)
        async with engine.connect() as conn:
            row = (await conn.execute(select(subject_keys)
                                      .where(subject_keys.c.subject == who))).one()
        assert row.wrapped is None and row.destroyed_at is not None
        assert await PostgresKeyStore(engine, MASTER).key_of(who) is None  # not a cache
    finally:
        await engine.dispose()
