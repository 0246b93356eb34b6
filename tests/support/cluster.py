"""The local 3-node Kafka cluster (``deploy/stack cluster``) as the replication tests see it.

Nodes are killed, stopped and started through the stack script, exactly as an operator
would; what the cluster makes of it (leaders, in-sync replicas, the active controller, group
coordinators, end offsets) is asked of Kafka itself.
"""

import asyncio
import contextlib
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from shared.kafka import admin as kafka_admin
from shared.kafka import raw_consumer
from shared.kafka_access import KafkaAccess
from tests.support.waiting import eventually

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "deploy" / "stack"
NODE_CONFIG = REPO / "deploy" / "kafka" / "cluster.properties"
NODES = (1, 2, 3)
STACK_TIMEOUT_S = 180
"""The longest a stack command may take (a node start waits up to 90 s to listen)."""


def node_setting(name: str) -> str:
    """A setting of every node, from the template the stack renders them from."""
    for line in NODE_CONFIG.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip()
    raise KeyError(f"{name} is not set in {NODE_CONFIG}")


SESSION_TIMEOUT_S = int(node_setting("broker.session.timeout.ms")) / 1000
"""How long the controller waits for a silent broker before it fences it."""


@dataclass(frozen=True)
class PartitionState:
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


async def until(probe: Callable[[], Awaitable[Any]], what: str, within: float,
                interval: float = 0.25) -> float:
    """Await ``probe`` until it returns something true; the seconds that took. Errors of
    the probe (a node may be down) count as 'not yet'."""
    started = time.monotonic()
    errors: list[BaseException] = []

    async def tolerant() -> bool:
        try:
            return bool(await probe())
        except Exception as exc:
            errors[:] = [exc]
            return False

    try:
        _: bool = await eventually(tolerant, within, interval, what)  # typed: mypy infers Never
    except AssertionError as exc:
        raise AssertionError(f"{exc} (last error: {errors[-1] if errors else None!r})") from None
    return time.monotonic() - started


@dataclass
class Cluster:
    bootstrap: str

    async def stack(self, *args: str) -> str:
        """``deploy/stack cluster ARGS``; its output, or an AssertionError with it."""
        done = await asyncio.to_thread(
            subprocess.run, [str(STACK), "cluster", *args], cwd=REPO, capture_output=True,
            text=True, timeout=STACK_TIMEOUT_S, check=False)
        if done.returncode != 0:
            raise AssertionError(f"deploy/stack cluster {' '.join(args)} failed "
                                 f"({done.returncode}): {done.stdout}{done.stderr}")
        return done.stdout

    async def kill(self, node: int) -> None:
        """kill -9: no controlled shutdown, no flush."""
        await self.stack("kill", str(node))

    async def stop(self, node: int) -> None:
        """SIGTERM: a controlled shutdown (leadership moves away first)."""
        await self.stack("stop", str(node))

    async def start(self, node: int) -> None:
        await self.stack("start", str(node))

    async def controller(self) -> int:
        """The active controller: the leader of the metadata quorum."""
        return int((await self.stack("controller")).strip())

    @contextlib.asynccontextmanager
    async def admin(self) -> AsyncIterator[AIOKafkaAdminClient]:
        client = kafka_admin(KafkaAccess(self.bootstrap), request_timeout_ms=5000)
        await client.start()
        try:
            yield client
        finally:
            await client.close()

    async def partitions(self, topic: str) -> dict[int, PartitionState]:
        async with self.admin() as admin:
            (described,) = await admin.describe_topics([topic])
        return {p["partition"]: PartitionState(p["leader"], tuple(p["replicas"]),
                                               tuple(p["isr"]))
                for p in described["partitions"]}

    async def fully_replicated(self, topics: list[str]) -> bool:
        """Every partition of ``topics`` has a leader and all its replicas in sync."""
        for topic in topics:
            for state in (await self.partitions(topic)).values():
                if state.leader < 0 or set(state.isr) != set(state.replicas):
                    return False
        return True

    async def wait_fully_replicated(self, topics: list[str], within: float = 90) -> float:
        return await until(lambda: self.fully_replicated(topics),
                           f"{topics} fully replicated", within)

    async def coordinator(self, group: str) -> int:
        async with self.admin() as admin:
            return int(await admin.find_coordinator(group))

    async def assignment(self, group: str) -> dict[str, list[int]]:
        """Member id -> the partitions it holds, while the group is stable (else empty)."""
        async with self.admin() as admin:
            (response,) = await admin.describe_consumer_groups([group])
        error, _, state, _, _, members = response.groups[0][:6]
        if error or state != "Stable":
            return {}
        held: dict[str, list[int]] = {}
        for member in members:
            member_id, assignment = member[0], member[4]
            decoded = ConsumerProtocolMemberAssignment.decode(assignment)
            held[member_id] = sorted(p for _, parts in decoded.assignment for p in parts)
        return held

    async def end_offsets(self, topic: str) -> dict[int, int]:
        consumer = raw_consumer(KafkaAccess(self.bootstrap), request_timeout_ms=10000)
        await consumer.start()
        try:
            tps = [TopicPartition(topic, p) for p in sorted(await self.partitions(topic))]
            return {tp.partition: offset
                    for tp, offset in (await consumer.end_offsets(tps)).items()}
        finally:
            await consumer.stop()

    async def busiest_partition(self, topic: str) -> tuple[int, int]:
        """(partition, its leader) of the partition holding the most records."""
        offsets = await self.end_offsets(topic)
        partition = max(offsets, key=lambda p: (offsets[p], -p))
        return partition, (await self.partitions(topic))[partition].leader

    async def restore(self) -> None:
        """Start whatever node a failed test left down."""
        for node in NODES:
            with contextlib.suppress(AssertionError):
                await self.start(node)
