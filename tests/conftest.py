"""Fixtures for tests on the real stack: fresh PostgreSQL databases (dropped afterwards)
and fresh Kafka topics.

Every database is created for this test session only, migrated with the service's own
migrations, and dropped at the end, so tests never touch erk_intake / erk_appraisal.
"""

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters.migrations import MIGRATIONS as APPRAISAL_MIGRATIONS
from services.intake.adapters.migrations import MIGRATIONS as INTAKE_MIGRATIONS
from shared.db import make_engine, migrate

# A test-only key; `deploy/stack test` exports the real one from .local/env instead.
os.environ.setdefault("ERK_JWT_SECRET", "integration-test-secret-" + "x" * 40)

PG_HOST = os.environ.get("ERK_TEST_PG_HOST", "127.0.0.1:5432")
PG_USER = os.environ.get("ERK_TEST_PG_USER", "erk")
PG_PASSWORD = os.environ.get("ERK_TEST_PG_PASSWORD", "erk")
ADMIN_DSN = f"postgresql://{PG_USER}:{PG_PASSWORD}@{PG_HOST}/erk_intake"
KAFKA = os.environ.get("ERK_KAFKA_BOOTSTRAP", "127.0.0.1:9092")

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
    result = await asyncio.to_thread(
        subprocess.run,
        ["runuser", "-u", "postgres", "--", "psql", "-p", PG_HOST.rsplit(":", 1)[1],
         "-v", "ON_ERROR_STOP=1", "-qtAX", "-c", grant],
        cwd="/", capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        pytest.exit(f"granting {PG_USER} CREATEDB and pg_signal_backend failed: "
                    f"{result.stderr}", 2)


@pytest.fixture(scope="session")
async def create_database() -> AsyncIterator[CreateDb]:
    """A factory: ``await create_database("intake")`` -> URL of a fresh, migrated database
    (``migrated=False``: a fresh, empty one)."""
    created: list[str] = []
    admin = await asyncpg.connect(ADMIN_DSN)
    await _ensure_createdb(admin)

    async def create(service: str, migrated: bool = True) -> str:
        name = f"erk_test_{service}_{uuid.uuid4().hex[:10]}"
        await admin.execute(f'CREATE DATABASE "{name}" OWNER "{PG_USER}"')
        created.append(name)
        url = f"postgresql+asyncpg://{PG_USER}:{PG_PASSWORD}@{PG_HOST}/{name}"
        if migrated:
            migrations = {"intake": INTAKE_MIGRATIONS, "appraisal": APPRAISAL_MIGRATIONS}[service]
            await asyncio.to_thread(migrate, url, migrations)
        return url

    try:
        yield create
    finally:
        for name in created:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


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
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
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
