"""The session's key store (tests/conftest.py makes its database and master key) for tests
that append through intake's unit of work themselves, so what they store opens at the read
API's edge as the services' own appends do. No pool: each test runs its own event loop."""

import os
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.keystore import load_master_key
from shared.keystore_pg import PostgresKeyStore

TEST_KEYS = PostgresKeyStore(
    create_async_engine(os.environ["ERK_KEYS_DATABASE_URL"], poolclass=NullPool),
    load_master_key(Path(os.environ["ERK_KEYS_MASTER_KEY_FILE"])))
