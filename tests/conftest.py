"""Fixtures for tests on the real stack: fresh PostgreSQL databases (dropped afterwards)
and fresh Kafka topics.

Every database is created for this test session only, migrated with the service's own
migrations, and dropped at the end, so tests never touch erk_intake / erk_appraisal.
"""

import asyncio
import contextlib
import os
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import NewTopic
from hypothesis import HealthCheck, settings
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters.migrations import MIGRATIONS as APPRAISAL_MIGRATIONS
from services.intake.adapters.migrations import MIGRATIONS as INTAKE_MIGRATIONS
from shared.db import make_engine, migrate
from shared.kafka import admin as kafka_admin
from shared.keystore import write_master_key
from shared.keystore_pg import MIGRATIONS as KEYSTORE_MIGRATIONS
from shared.settings import KafkaSettings
from tests.support.pseudonyms import ensure_test_key

# Property tests: few examples, no deadline (the machine is shared), and derandomized, so
# every run (CI's too) tries the same examples; HYPOTHESIS_PROFILE=explore searches wider.
settings.register_profile("erk", max_examples=25, deadline=None, derandomize=True,
                          database=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "erk"))

# A test-only key; `deploy/stack test` exports the real one from .local/env instead.
os.environ.setdefault("ERK_JWT_SECRET", "integration-test-secret-" + "x" * 40)
# Throw-away stores are never signed with the developer's checkpoint key (tests that sign
# make their own key and topic: tests/integration/test_anchoring.py), and tests produce raw
# records to their topics: the relay key is set only by the tests of the relay's MAC
# (tests/integration/test_relay_mac.py).
for _variable in ("INTAKE_CHECKPOINT_KEY_FILE", "APPRAISAL_CHECKPOINT_PUBLIC_KEY_FILE",
                  "INTAKE_RELAY_KEY_FILE", "APPRAISAL_RELAY_KEY_FILE"):
    os.environ.pop(_variable, None)
# The relay keys records by subject id; relays, replays and services share one secret.
ensure_test_key()

# The stack's PostgreSQL: ERK_PG_PORT from .local/env (deploy/stack), unless told otherwise.
PG_HOST = os.environ.get("ERK_TEST_PG_HOST", f"127.0.0.1:{os.environ.get('ERK_PG_PORT', '5432')}")
PG_SOCKET_DIR = os.environ.get("ERK_PG_SOCKET_DIR")  # the stack's own cluster (.local/postgres)
PG_USER = os.environ.get("ERK_TEST_PG_USER", "erk")
PG_PASSWORD = os.environ.get("ERK_TEST_PG_PASSWORD", "erk")
ADMIN_DSN = f"postgresql://{PG_USER}:{PG_PASSWORD}@{PG_HOST}/erk_intake"

# The key store of this session: a throw-away database (made with the first database any
# test asks for) and a throw-away master key, so no test shreds or reads the stack's keys.
KEYS_DB = f"erk_test_keys_{uuid.uuid4().hex[:10]}"
KEYS_URL = f"postgresql+asyncpg://{PG_USER}:{PG_PASSWORD}@{PG_HOST}/{KEYS_DB}"
MASTER_KEY_FILE = Path(tempfile.mkdtemp(prefix="erk-test-keys-")) / "master.key"
write_master_key(MASTER_KEY_FILE)
os.environ["ERK_KEYS_DATABASE_URL"] = KEYS_URL
os.environ["ERK_KEYS_MASTER_KEY_FILE"] = str(MASTER_KEY_FILE)
KAFKA = KafkaSettings().access()

CreateDb = Callable[..., Awaitable[str]]


async def _ensure_createdb(conn: asyncpg.Connection) -> None:
    """The erk role needs CREATEDB for throw-away databases, and pg_signal_backend to drop
    them WITH (FORCE) while autovacuum works in them; grant both once if missing
    (`deploy/stack up` does it too)."""
    if await conn.fetchval("SELECT rolsuper OR (rolcreatedb AND pg_has_role(current_user, "
                           "'pg_signal_backend', 'MEMBER')) FROM pg_roles "
                           "WHERE rolname = current_user"):
        return
    grant = f'ALTER ROLE "{PG_USER}" CREATEDB; GRANT pg_signal_backend TO "{PG_USER}"'
    socket = ["-h", PG_SOCKET_DIR] if PG_SOCKET_DIR else []
    result = await asyncio.to_thread(
        subprocess.run,
        ["runuser", "-u", "postgres", "--", "psql", *socket, "-p", PG_HOST.rsplit(":", 1)[1],
         "-v", "ON_ERROR_STOP=1", "-qtAX", "-c", grant],
        cwd="/", capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        pytest.exit(f"granting {PG_USER} CREATEDB and pg_signal_backend failed: "
                    f"{result.stderr}", 2)


@contextlib.asynccontextmanager
async def _admin() -> AsyncIterator[asyncpg.Connection]:
    """A fresh admin connection per use, not one for the session: the cluster's chaos test
    restarts PostgreSQL, which closes every connection the session holds."""
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        yield admin
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def create_database() -> AsyncIterator[CreateDb]:
    """A factory: ``await create_database("intake")`` -> URL of a fresh, migrated database
    (``migrated=False``: a fresh, empty one)."""
    created: list[str] = [KEYS_DB]
    async with _admin() as admin:
        await _ensure_createdb(admin)
        await admin.execute(f'CREATE DATABASE "{KEYS_DB}" OWNER "{PG_USER}"')
    await asyncio.to_thread(migrate, KEYS_URL, KEYSTORE_MIGRATIONS)

    async def create(service: str, migrated: bool = True) -> str:
        name = f"erk_test_{service}_{uuid.uuid4().hex[:10]}"
        async with _admin() as admin:
            await admin.execute(f'CREATE DATABASE "{name}" OWNER "{PG_USER}"')
        created.append(name)
        url = f"postgresql+asyncpg://{PG_USER}:{PG_PASSWORD}@{PG_HOST}/{name}"
        if migrated:
            migrations = {"intake": INTAKE_MIGRATIONS, "appraisal": APPRAISAL_MIGRATIONS,
                          "keys": KEYSTORE_MIGRATIONS}[service]
            await asyncio.to_thread(migrate, url, migrations)
        return url

    try:
        yield create
    finally:
        async with _admin() as admin:
            for name in created:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def intake_url(create_database: CreateDb) -> str:
    """One fresh intake database shared by the event-store tests of this session."""
    return await create_database("intake")


@pytest.fixture
async def engine(intake_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(intake_url, pool_size=10)
    try:
        yield engine
    finally:
        await engine.dispose()


CreateTopic = Callable[..., Awaitable[str]]


@pytest.fixture
async def create_topic() -> AsyncIterator[CreateTopic]:
    """A factory: ``await create_topic("events", partitions=3)`` -> a fresh topic's name.
    Every topic it made is deleted afterwards."""
    admin = kafka_admin(KAFKA)
    await admin.start()
    made: list[str] = []

    async def create(purpose: str = "events", partitions: int = 3) -> str:
        name = f"erk.test.{purpose}.{uuid.uuid4().hex[:10]}"
        await admin.create_topics([NewTopic(name, num_partitions=partitions,
                                            replication_factor=1)])
        made.append(name)
        return name

    try:
        yield create
    finally:
        try:
            if made:
                await admin.delete_topics(made)
        finally:
            await admin.close()


@pytest.fixture
async def topic(create_topic: CreateTopic) -> str:
    """A fresh 3-partition events topic, deleted afterwards."""
    return await create_topic("events", 3)
