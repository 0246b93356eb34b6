"""Two appraisal instances in one consumer group share the events topic while a broker
bounces under mixed load: the broker that coordinates their group is killed with SIGKILL
(the group finds a new coordinator and rebalances; partitions it led get new leaders) and
restarted after the session timeout. Both instances keep running and end up holding
partitions; every event is applied exactly once across the two (each locks only its
partitions, and a partition that moves is picked up at its stored position), so the
projections equal a replay.
"""

import asyncio
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cluster.checks import settle
from tests.support.cluster import SESSION_TIMEOUT_S, Cluster, until
from tests.support.mixed_load import MixedLoad, register_organisation

pytestmark = pytest.mark.cluster


async def test_two_appraisal_instances_share_the_topic_while_a_broker_bounces(
    cluster: Cluster, make_system
) -> None:
    started = time.monotonic()
    system = await make_system(appraisals=2)
    group = f"erk-cluster-appraisal-{system.group}"

    async def both_hold_partitions() -> bool:
        held = await cluster.assignment(group)
        return len(held) == 2 and all(held.values())

    await until(both_hold_partitions, "both instances holding partitions", 60)
    await register_organisation(system.intake_url, system.token)
    load = MixedLoad(system.intake_url, system.appraisal_url, cluster.bootstrap,
                     system.topics.ingress, system.token)
    load.start()
    bounce = "no bounce"
    try:
        await asyncio.sleep(3)
        coordinator = await cluster.coordinator(group)
        killed = time.monotonic()
        await cluster.kill(coordinator)

        async def moved() -> bool:
            return await cluster.coordinator(group) != coordinator

        moved_s = await until(moved, "a new group coordinator", SESSION_TIMEOUT_S + 30)
        await asyncio.sleep(max(0.0, SESSION_TIMEOUT_S - (time.monotonic() - killed)))
        restarted = time.monotonic()
        await cluster.start(coordinator)
        await cluster.wait_fully_replicated(system.topic_names())
        bounce = (f"coordinator node {coordinator} killed: a new coordinator after "
                  f"{moved_s:.1f} s; in sync {time.monotonic() - restarted:.1f} s after its "
                  "restart")
    finally:
        ledger = await load.stop()
    print(f"\ntwo consumers: {ledger.summary()}\n  {bounce}")
    assert not ledger.failures, f"intake stopped accepting: {ledger.failures[:5]}"
    figures = await settle(cluster, system, ledger)
    for service in system.services:
        assert service.process.poll() is None, f"{service.name} exited\n{system.logs()}"
    await until(both_hold_partitions, "both instances holding partitions at the end", 60)
    held = sorted((await cluster.assignment(group)).values())
    applied = [await applied_by(url) for url in system.appraisal_urls]
    print(f"  {figures}; partitions at the end {held}; events applied by each instance "
          f"{applied}; total {time.monotonic() - started:.0f} s")
    assert all(applied), f"an instance applied nothing: {applied}"
    # each record once across both: whatever one applied, the other skipped
    assert sum(applied) == figures.records - figures.republished, applied


async def applied_by(appraisal: str) -> int:
    """The instance's erk_events_applied counter (its /metrics)."""
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(f"{appraisal}/metrics")).text
    return sum(int(sample.value) for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == "erk_events_applied_total")
