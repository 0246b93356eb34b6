"""The chain anchored outside the database, on the real PostgreSQL and Kafka: intake's
checkpointer signs the head with a key in a file, stores and publishes the checkpoints, and
``audit verify`` names an appended forgery, a forged checkpoint and a cut-off tail by
position and event id — none of which the hash chain alone can see."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from anchor_world import (
    CreateDb,
    CreateTopic,
    World,
    anchored,
    append,
    audit,
    checkpointer_of,
    disable_immutability,
    forge_activity,
    make_world,
    named,
    send,
    verify_command,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from services.intake.bootstrap import build_app
from services.intake.service_layer.checkpointer import ChainBroken
from services.intake.settings import IntakeSettings
from shared import checkpoints as cps
from shared.checkpoint_store import checkpoints, row_of, stored_checkpoints
from shared.history import events
from shared.signing import FileSigner, LocalSigner
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def world(create_database: CreateDb, create_topic: CreateTopic, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    async with make_world(create_database, create_topic, tmp_path, monkeypatch) as made:
        yield made

# -- the honest run -------------------------------------------------------------------------

async def test_intake_anchors_its_history_and_verify_passes(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERK_KAFKA_EVENTS_TOPIC", world.topic)
    monkeypatch.setenv("INTAKE_CHECKPOINT_KEY_FILE", str(world.key_file))
    monkeypatch.setenv("INTAKE_CHECKPOINT_INTERVAL_S", "0.2")
    monkeypatch.setenv("INTAKE_CHECKPOINT_EVERY_EVENTS", "1000")
    app = build_app(IntakeSettings(database_url=world.store_url, relay_idle_poll_s=0.1),
                    run_relay=True, run_ingress=False)
    async with app.router.lifespan_context(app):
        engine = app.state.intake.engine
        for burst in (6, 9, 5):  # the lifespan's checkpointer signs after each burst
            head = await append(world, engine, burst)
            await eventually(lambda h=head: _stored_at(world, h), what=f"a checkpoint at {head}")
    stored = await stored_checkpoints(world.engine)
    assert len(stored) >= 3 and stored[-1].position == head == 20
    report = await audit(world)
    assert report.ok, [c for c in report.checks if c.result != "PASS"]
    assert report.chain.ok and report.anchoring.unanchored == 0
    assert report.anchoring.anchored_position == 20 and named(report) == []
    assert report.anchoring.on_kafka == report.anchoring.stored == len(stored)
    result = await asyncio.to_thread(verify_command, world)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout and "0 events unanchored" in result.stdout


async def _stored_at(world: World, head: int) -> bool:
    async with world.engine.connect() as conn:
        found = await conn.scalar(select(checkpoints.c.position)
                                  .where(checkpoints.c.position == head))
    return found is not None


# -- the forgeries ----------------------------------------------------------------------------

async def test_an_appended_forgery_is_unanchored_and_not_on_kafka(world: World) -> None:
    head = await anchored(world)
    forged = await forge_activity(world)
    report = await audit(world)
    assert report.chain.ok  # the hash chain alone says nothing: the forger extended it
    assert not report.ok
    assert named(report) == [("unanchored", head + 1, forged.event_id),
                             ("event_not_on_kafka", head + 1, forged.event_id)]
    result = await asyncio.to_thread(verify_command, world)
    assert result.returncode == 1 and "NOT VERIFIED" in result.stdout
    assert str(forged.event_id) in result.stdout and f"event {head + 1} (kafka)" in result.stdout


@pytest.mark.parametrize("claims_our_key", [True, False], ids=["our-key-id", "own-key-id"])
async def test_a_forgery_with_a_checkpoint_signed_without_the_key(
        world: World, claims_our_key: bool) -> None:
    head = await anchored(world)
    forged = await forge_activity(world, publish=True)  # the forger reaches Kafka too
    async with world.engine.connect() as conn:
        log_id = await conn.scalar(select(events.c.hash).where(events.c.position == 1))
        head_hash = await conn.scalar(select(events.c.hash).where(events.c.position == head + 1))
    other = LocalSigner(Ed25519PrivateKey.generate())
    checkpoint = cps.new_checkpoint(log_id, head + 1, head_hash, datetime.now(UTC),
                                    FileSigner(world.key_file) if claims_our_key else other)
    fake = cps.SignedCheckpoint(checkpoint, other.sign(cps.canonical_bytes(checkpoint)))
    async with world.engine.begin() as conn:
        await conn.execute(checkpoints.insert().values(row_of(fake)))
    await send(world.checkpoints_topic, cps.encode(fake), b"forged")
    report = await audit(world)
    assert report.chain.ok and not report.ok
    kind = "bad_signature" if claims_our_key else "unknown_key"
    assert named(report) == [(kind, head + 1, forged.event_id),
                             ("unanchored", head + 1, forged.event_id)]
    assert report.anchoring.anchored_position == head


@pytest.mark.parametrize("checkpoints_too", [False, True], ids=["events", "and-checkpoints"])
async def test_a_truncated_tail_is_named(world: World, checkpoints_too: bool) -> None:
    head = await anchored(world)
    async with world.engine.connect() as conn:
        cut = dict((await conn.execute(select(events.c.position, events.c.event_id)
                                       .where(events.c.position > head - 3))).all())
    await disable_immutability(world.engine)
    async with world.engine.begin() as conn:
        await conn.execute(text("DELETE FROM events WHERE position > :p"), {"p": head - 3})
        if checkpoints_too:  # hide the signed head as well: Kafka's copy still has it
            await conn.execute(text("DELETE FROM checkpoints WHERE position > :p"),
                               {"p": head - 3})
    report = await audit(world)
    assert report.chain.ok and not report.ok  # a shorter chain is still a chain
    found = named(report)
    assert ("truncated", head, None) in found
    assert ("checkpoint_not_in_store", head, None) in found if checkpoints_too else True
    assert [(p, i) for k, p, i in found if k == "event_not_in_store"] == sorted(cut.items())
    assert report.anchoring.facts.head == head - 3
    if not checkpoints_too:  # the checkpointer notices too, and signs nothing
        checkpointer = checkpointer_of(world)
        with pytest.raises(ChainBroken, match=f"below the signed checkpoint at {head}"):
            await checkpointer.sign_if_due()
