"""The system under chaos: fresh databases and topics, intake and appraisal as child
processes, each reaching PostgreSQL through its own cuttable proxy, and the faults. Given
the 3-node cluster's bootstrap list, the topics get three replicas there, the services
are pointed at it, and two more faults can strike: a node killed, PostgreSQL restarted."""

import asyncio
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from services.appraisal.adapters.migrations import MIGRATIONS as APPRAISAL_MIGRATIONS
from services.intake.adapters.migrations import MIGRATIONS as INTAKE_MIGRATIONS
from services.intake.adapters.relay import RELAY_LEADER_LOCK
from shared.db import asyncpg_dsn
from shared.kafka_access import KafkaAccess
from shared.policy import default_policy_path
from tests.chaos.schedule import Fault
from tests.perf.infra import KAFKA, Stack
from tests.support.cluster import REPO, STACK, STACK_TIMEOUT_S, Cluster
from tests.support.processes import ServiceProcess
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import eventually

REPLICAS = 3
"""Of each topic on the cluster (min.insync.replicas is 2: one node may be down)."""


class System:
    def __init__(self, logs: Path, cluster: str = "") -> None:
        self.logs = logs
        self.cluster = Cluster(cluster) if cluster else None
        self.kafka = KafkaAccess(cluster) if cluster else KAFKA
        self.stack = Stack(kafka=self.kafka, replicas=REPLICAS if cluster else 1)
        self.timeline: list[dict[str, Any]] = []

    def _kafka_environment(self) -> dict[str, str]:
        """The topics; on the cluster also its bootstrap list (it does not authenticate)."""
        env = {"ERK_KAFKA_EVENTS_TOPIC": self.topic, "ERK_KAFKA_DLQ_TOPIC": self.dlq}
        if self.cluster is not None:
            env |= {"ERK_KAFKA_BOOTSTRAP": self.cluster.bootstrap,
                    "ERK_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}
        return env

    async def start(self) -> None:
        self.intake_url = await self.stack.database("chaos_intake", INTAKE_MIGRATIONS)
        self.appraisal_url = await self.stack.database("chaos_appraisal", APPRAISAL_MIGRATIONS)
        self.topic = await self.stack.topic("events")
        self.dlq = await self.stack.topic("dlq", 1)
        if self.cluster is not None:
            await self.cluster.wait_fully_replicated([self.topic, self.dlq])
        self.intake_proxy = await _proxy_for(self.intake_url)
        self.appraisal_proxy = await _proxy_for(self.appraisal_url)
        kafka = self._kafka_environment()
        self.intake = ServiceProcess("intake", {
            **kafka, "INTAKE_DATABASE_URL": _through(self.intake_url, self.intake_proxy),
            "INTAKE_POLICY_FILE": str(default_policy_path()),
            "INTAKE_RELAY_STALL_AFTER_S": "10"}, self.logs / "intake.log", ("--no-ingress",))
        self.appraisal = ServiceProcess("appraisal", {
            **kafka, "APPRAISAL_DATABASE_URL": _through(self.appraisal_url, self.appraisal_proxy),
            "APPRAISAL_CONSUMER_GROUP": f"chaos-{self.stack.run_id}",
            "APPRAISAL_CONSUMER_STALL_AFTER_S": "10"}, self.logs / "appraisal.log")
        for service in (self.intake, self.appraisal):
            service.start()
            await service.wait_healthy()

    async def stop(self) -> None:
        for service in (self.intake, self.appraisal):
            service.stop()
        for proxy in (self.intake_proxy, self.appraisal_proxy):
            await proxy.close()
        await self.stack.drop()

    async def inflict(self, fault: Fault, started: float, answers: dict[int, int]) -> None:
        """Apply ``fault``, hold it, repair it; note what happened in the timeline."""
        entry: dict[str, Any] = {"at_s": round(time.monotonic() - started, 1),
                                 "fault": fault.kind, "hold_s": fault.hold_s}
        before = dict(answers)
        if fault.kind == "terminate_relay_connections":
            entry["terminated"] = await self._terminate_relay()
        elif fault.kind == "restart_postgres":
            await self._restart_postgres(entry)
        elif fault.kind == "kill_broker":
            await self._kill_broker(fault, entry)
        else:
            await self._hold(fault, entry)
        entry["answers_during"] = _since(before, answers)
        repaired, before = time.monotonic(), dict(answers)
        await self.wait_answering()
        entry["answering_again_after_s"] = round(time.monotonic() - repaired, 1)
        entry["answers_until_answering"] = _since(before, answers)
        self.timeline.append(entry)

    async def _hold(self, fault: Fault, entry: dict[str, Any]) -> None:
        service = {"kill_intake": self.intake, "kill_appraisal": self.appraisal}.get(fault.kind)
        proxy = {"cut_intake_db": self.intake_proxy,
                 "cut_appraisal_db": self.appraisal_proxy}.get(fault.kind)
        if service is not None:
            service.kill()
            await _pause(fault.hold_s)
            service.start()
        elif proxy is not None:
            await proxy.cut()
            await _pause(fault.hold_s / 2)
            entry["health_during"] = await self.health()
            await _pause(fault.hold_s / 2)
            await proxy.restore()

    async def _kill_broker(self, fault: Fault, entry: dict[str, Any]) -> None:
        """kill -9 of the leader of the events topic's busiest partition; restarted after
        the hold, then waited for until every replica is back in sync (so that the next
        kill never meets a node still catching up: two of three down stops the writes)."""
        assert self.cluster is not None, "kill_broker needs the cluster"
        partition, node = await self.cluster.busiest_partition(self.topic)
        entry |= {"node": node, "partition": partition}
        await self.cluster.kill(node)
        await _pause(fault.hold_s)
        restarting = time.monotonic()
        await self.cluster.start(node)  # returns once the node listens
        entry["listening_after_s"] = round(time.monotonic() - restarting, 1)
        await self.cluster.wait_fully_replicated([self.topic, self.dlq], within=120)
        entry["in_sync_after_s"] = round(time.monotonic() - restarting, 1)

    async def _restart_postgres(self, entry: dict[str, Any]) -> None:
        """``deploy/stack postgres restart`` (``pg_ctl restart -m fast``): every session
        terminated, the server refusing until it is up again; what /health said meanwhile."""
        up_since = await self._postgres_up_since()
        started = time.monotonic()
        restart = asyncio.create_task(asyncio.to_thread(restart_postgres))
        seen: dict[str, set[str]] = {}
        while not restart.done():
            for service, status in (await self.health()).items():
                seen.setdefault(service, set()).add(status)
            await asyncio.sleep(0.2)
        await restart
        entry["restart_s"] = round(time.monotonic() - started, 1)
        entry["new_server"] = await self._postgres_up_since() > up_since
        entry["health_during"] = {service: sorted(found) for service, found in seen.items()}

    async def _postgres_up_since(self) -> datetime:
        admin = await asyncpg.connect(asyncpg_dsn(self.intake_url))
        try:
            started: datetime = await admin.fetchval("SELECT pg_postmaster_start_time()")
            return started
        finally:
            await admin.close()

    async def _terminate_relay(self) -> int:
        """The relay's leader session (and so its LISTEN) dies, as in a failover."""
        admin = await asyncpg.connect(asyncpg_dsn(self.intake_url))
        try:
            rows = await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND objid = $1 AND database = (SELECT oid FROM pg_database "
                "WHERE datname = current_database())", RELAY_LEADER_LOCK)
            return len(rows)
        finally:
            await admin.close()

    async def health(self) -> dict[str, str]:
        """Each service's overall health status (or why it did not answer)."""
        found = {}
        async with httpx.AsyncClient(timeout=5) as client:
            for service in (self.intake, self.appraisal):
                try:
                    found[service.service] = (await client.get(f"{service.base}/health")
                                              ).json()["status"]
                except (httpx.HTTPError, ValueError) as exc:
                    found[service.service] = type(exc).__name__
        return found

    async def wait_answering(self, timeout: float = 90) -> None:  # noqa: ASYNC109
        async def answering() -> bool:
            for service in (self.intake, self.appraisal):
                service.check_alive()
            return set((await self.health()).values()) <= {"ok", "degraded"}

        await eventually(answering, timeout=timeout, interval=0.2,
                         what="both services answering /health")


def restart_postgres() -> None:
    """The stack's own PostgreSQL, restarted as an operator would."""
    done = subprocess.run([str(STACK), "postgres", "restart"], cwd=REPO, capture_output=True,
                          text=True, timeout=STACK_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise AssertionError(f"deploy/stack postgres restart failed ({done.returncode}): "
                             f"{done.stdout}{done.stderr}")


def _since(before: dict[int, int], now: dict[int, int]) -> dict[str, int]:
    """The answers (by status) counted since ``before`` was taken."""
    return {str(k): v - before.get(k, 0) for k, v in now.items() if v - before.get(k, 0)}


async def _proxy_for(url: str) -> TcpProxy:
    parsed = make_url(url)
    return await TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432).start()


def _through(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(port=proxy.port).render_as_string(hide_password=False)


async def _pause(seconds: float) -> None:
    """The fault's hold time: time itself is the point here, not a condition."""
    await asyncio.sleep(seconds)
