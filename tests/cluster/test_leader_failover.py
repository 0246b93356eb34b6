"""Modelled on Kafka's replication system test (a broker is hard-killed while producers and
consumers run, then every acknowledged message must be consumed), end to end: under mixed
load (HTTP reports and decisions, an e-service on the Kafka ingress, the superior reading
the query API), the leader of the busiest partition of the events topic is killed with
SIGKILL five times in a row, each time restarted once the session timeout has fenced it and
waited for until every replica is back in sync. Intake never stops accepting; nothing
acknowledged is lost; nothing is applied twice; the projections equal a replay.
"""

import asyncio
import time
from dataclasses import dataclass

import pytest

from tests.cluster.checks import settle
from tests.support.cluster import SESSION_TIMEOUT_S, Cluster, until
from tests.support.mixed_load import MixedLoad, register_organisation

pytestmark = pytest.mark.cluster
KILLS = 5


@dataclass
class Round:
    node: int
    partition: int
    failover_s: float
    """From the kill to a new leader of the partition in the metadata."""
    in_sync_s: float
    """From the restart to every replica back in sync."""
    accepted: int
    """HTTP reports accepted while the node was down."""

    def __str__(self) -> str:
        return (f"node {self.node} (leader of p{self.partition}): new leader after "
                f"{self.failover_s:.1f} s, {self.accepted} reports accepted while it was down, "
                f"in sync {self.in_sync_s:.1f} s after its restart")


async def kill_busiest_leader(cluster: Cluster, topics: list[str], load: MixedLoad) -> Round:
    partition, leader = await cluster.busiest_partition(topics[0])
    accepted = len(load.ledger.reported)
    killed = time.monotonic()
    await cluster.kill(leader)

    async def moved() -> bool:
        return (await cluster.partitions(topics[0]))[partition].leader not in (leader, -1)

    failover_s = await until(moved, f"a new leader of p{partition}", SESSION_TIMEOUT_S + 30)
    await asyncio.sleep(max(0.0, SESSION_TIMEOUT_S - (time.monotonic() - killed)))
    accepted = len(load.ledger.reported) - accepted
    restarted = time.monotonic()
    await cluster.start(leader)
    await cluster.wait_fully_replicated(topics)
    return Round(leader, partition, failover_s, time.monotonic() - restarted, accepted)


async def test_killing_the_busiest_leader_five_times_loses_nothing(
    cluster: Cluster, make_system
) -> None:
    started = time.monotonic()
    system = await make_system()
    await register_organisation(system.intake_url, system.token)
    load = MixedLoad(system.intake_url, system.appraisal_url, cluster.bootstrap,
                     system.topics.ingress, system.token)
    load.start()
    rounds: list[Round] = []
    try:
        await asyncio.sleep(3)  # a backlog on every partition before the first kill
        for _ in range(KILLS):
            rounds.append(await kill_busiest_leader(cluster, system.topic_names(), load))
    finally:
        ledger = await load.stop()
    print(f"\nleader kills: {ledger.summary()}")
    for n, one in enumerate(rounds, 1):
        print(f"  kill {n}: {one}")

    assert not ledger.failures, f"intake stopped accepting: {ledger.failures[:5]}"
    assert all(one.accepted > 0 for one in rounds), rounds
    figures = await settle(cluster, system, ledger)
    print(f"  {figures}; total {time.monotonic() - started:.0f} s")
