"""The checkpointer refuses to sign what it cannot vouch for, and keeps going after a failure."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from anchor_world import (
    KAFKA,
    CreateDb,
    CreateTopic,
    World,
    anchored,
    append,
    checkpointer_of,
    disable_immutability,
    make_world,
)
from sqlalchemy import text

from services.intake.adapters.checkpoint_log import KafkaCheckpointPublisher, kafka_publisher
from services.intake.service_layer.checkpointer import ChainBroken
from shared.checkpoint_store import stored_checkpoints
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def world(create_database: CreateDb, create_topic: CreateTopic, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    async with make_world(create_database, create_topic, tmp_path, monkeypatch) as made:
        yield made


async def test_the_checkpointer_never_signs_over_a_broken_chain(world: World) -> None:
    head = await anchored(world, bursts=(10,))
    await append(world, world.engine, 5)
    await disable_immutability(world.engine)
    async with world.engine.begin() as conn:  # an edit in the unanchored stretch
        await conn.execute(text("UPDATE events SET actor = 'x' WHERE position = :p"),
                           {"p": head + 2})
    checkpointer = checkpointer_of(world, every_events=1)
    with pytest.raises(ChainBroken, match=f"event {head + 2}"):
        await checkpointer.sign_if_due()
    assert [cp.position for cp in await stored_checkpoints(world.engine)] == [head]


async def test_the_checkpointer_is_restarted_after_a_failure(world: World) -> None:
    head = await append(world, world.engine, 3)
    attempts = []

    def flaky_publisher() -> contextlib.AbstractAsyncContextManager[KafkaCheckpointPublisher]:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("broker away")  # the first round fails before anything
        return kafka_publisher(KAFKA, world.checkpoints_topic)

    checkpointer = checkpointer_of(world, flaky_publisher, every_events=1)
    task = asyncio.create_task(checkpointer.run())
    try:
        await eventually(lambda: checkpointer.published_position == head, timeout=60,
                         what="the checkpoint published after a restart")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert len(attempts) == 2 and checkpointer.signed_position == head

