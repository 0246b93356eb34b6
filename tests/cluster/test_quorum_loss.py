"""The cluster loses its active controller, then a majority of its brokers, under mixed load.

1. The active controller (the leader of the metadata quorum) is killed with SIGKILL: the
   other two elect a new one, and the system carries on.
2. Two of the three brokers are stopped: every partition is left with one in-sync replica,
   below min.insync.replicas=2, so no write may be acknowledged. A probe producer with
   acks=all gets errors or no answer, never an acknowledgement; the relay's checkpoint
   (what Kafka acknowledged) stands still while intake keeps accepting commands into the
   store; the e-service's records are refused, not acknowledged.
3. Both come back: the relay publishes the backlog, and nothing acknowledged was lost,
   nothing applied twice, the projections equal a replay.
"""

import asyncio
import contextlib
import time
from collections import Counter

import pytest
from aiokafka.admin import NewTopic

from shared.db import make_engine
from shared.kafka import raw_producer
from shared.kafka_access import KafkaAccess
from tests.cluster.checks import relay_checkpoint_of, settle, store_head
from tests.cluster.system import ClusterSystem
from tests.support.cluster import NODES, SESSION_TIMEOUT_S, Cluster, until
from tests.support.mixed_load import MixedLoad, register_organisation

pytestmark = pytest.mark.cluster
OUTAGE_S = 15.0


async def kill_the_controller(cluster: Cluster, topics: list[str]) -> str:
    controller = await cluster.controller()
    killed = time.monotonic()
    await cluster.kill(controller)

    async def elected() -> bool:
        return await cluster.controller() != controller

    elected_s = await until(elected, "a new active controller", SESSION_TIMEOUT_S + 30)
    await asyncio.sleep(max(0.0, SESSION_TIMEOUT_S - (time.monotonic() - killed)))
    restarted = time.monotonic()
    await cluster.start(controller)
    await cluster.wait_fully_replicated(topics)
    return (f"controller node {controller} killed: a new one was active after "
            f"{elected_s:.1f} s; back in sync {time.monotonic() - restarted:.1f} s after "
            "its restart")


async def probe(bootstrap: str, topic: str, seconds: float) -> Counter[str]:
    """acks=all writes for ``seconds``: how each ended. Not idempotent, so that it needs no
    producer id (which a cluster without a quorum cannot hand out): what answers is the
    partition leader itself."""
    outcomes: Counter[str] = Counter()
    producer = raw_producer(KafkaAccess(bootstrap), acks="all", request_timeout_ms=3000)
    await asyncio.wait_for(producer.start(), 15)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                await asyncio.wait_for(producer.send_and_wait(topic, b"probe"), 5)
                outcomes["acknowledged"] += 1
            except Exception as exc:
                outcomes[type(exc).__name__] += 1
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(producer.stop(), 10)
    return outcomes


async def lose_the_majority(cluster: Cluster, system: ClusterSystem, load: MixedLoad,
                            probe_topic: str) -> str:
    survivor, *stopped = NODES
    for node in stopped:
        await cluster.stop(node)
    await asyncio.sleep(2)  # what was in flight when the second one went has been answered
    store = make_engine(system.intake_db)
    try:
        checkpoint, head = await relay_checkpoint_of(store), await store_head(store)
        ingested = len(load.ledger.ingested)
        outcomes = await probe(cluster.bootstrap, probe_topic, OUTAGE_S)
        checkpoint_after, head_after = await relay_checkpoint_of(store), await store_head(store)
    finally:
        await store.dispose()
    assert outcomes["acknowledged"] == 0, f"a write was acknowledged unreplicated: {outcomes}"
    assert sum(outcomes.values()) > 0
    assert checkpoint_after == checkpoint, "the relay got acknowledgements without a majority"
    assert head_after > head, "intake stopped accepting commands while Kafka refused writes"
    assert len(load.ledger.ingested) == ingested, "an ingress record was acknowledged"
    restarted = time.monotonic()
    for node in stopped:
        await cluster.start(node)
    await cluster.wait_fully_replicated([*system.topic_names(), probe_topic])
    return (f"nodes {stopped} stopped, node {survivor} left: probe writes {dict(outcomes)}; "
            f"relay checkpoint held at {checkpoint} while the store grew from {head} to "
            f"{head_after}; all in sync {time.monotonic() - restarted:.1f} s after the restarts")


async def test_losing_the_controller_then_the_majority_acknowledges_nothing_unreplicated(
    cluster: Cluster, make_system
) -> None:
    started = time.monotonic()
    system = await make_system()
    probe_topic = f"{system.topics.events}.probe"
    async with cluster.admin() as admin:
        await admin.create_topics([NewTopic(probe_topic, 1, 3)])
    await register_organisation(system.intake_url, system.token)
    load = MixedLoad(system.intake_url, system.appraisal_url, cluster.bootstrap,
                     system.topics.ingress, system.token)
    load.start()
    try:
        await asyncio.sleep(3)
        controller = await kill_the_controller(cluster, system.topic_names())
        majority = await lose_the_majority(cluster, system, load, probe_topic)
    finally:
        ledger = await load.stop()
        with contextlib.suppress(Exception):  # a failed test may have left nodes down
            async with cluster.admin() as admin:
                await admin.delete_topics([probe_topic])
    print(f"\nquorum loss: {ledger.summary()}\n  {controller}\n  {majority}")
    assert not ledger.failures, f"intake stopped accepting: {ledger.failures[:5]}"
    figures = await settle(cluster, system, ledger)
    print(f"  {figures}; total {time.monotonic() - started:.0f} s")
