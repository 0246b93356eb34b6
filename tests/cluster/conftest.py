"""The replication tests' world: the 3-node cluster, and the whole system on it as real
processes (``python -m ... serve``, as tests/e2e runs them), on fresh databases and on
fresh topics with three replicas each. The services get the cluster's bootstrap list and
nothing else that differs.

Deselected (not skipped, so no run counts them) unless ERK_CLUSTER_BOOTSTRAP names the
cluster; ``deploy/stack cluster test`` sets it, and fails unless they all ran.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import NewTopic

from tests.cluster.system import CLUSTER, ClusterSystem, environment, start, stop, wait_healthy
from tests.e2e.support import Topics, free_port
from tests.support.cluster import Cluster

REPLICAS = 3
_LEFT_OUT = pytest.StashKey[int]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CLUSTER:
        return
    left_out = [item for item in items if item.get_closest_marker("cluster")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("cluster")]
        config.stash[_LEFT_OUT] = len(left_out)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if config.stash.get(_LEFT_OUT, 0):
        terminalreporter.write_line(
            f"{config.stash[_LEFT_OUT]} cluster tests deselected: ERK_CLUSTER_BOOTSTRAP is "
            "not set; `deploy/stack cluster test` runs them on the 3-node cluster")


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    """The cluster; whatever node a test leaves down is started again afterwards."""
    handle = Cluster(CLUSTER)
    try:
        yield handle
    finally:
        await handle.restore()


MakeSystem = Callable[..., Awaitable[ClusterSystem]]


@pytest.fixture
async def make_system(create_database: Callable[[str], Awaitable[str]], cluster: Cluster,
                      tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[MakeSystem]:
    """A factory: ``await make_system(appraisals=2)`` -> intake and that many appraisal
    instances (one consumer group, one projection database), healthy, on the cluster."""
    made: list[ClusterSystem] = []
    request.node.cluster_systems = made  # for the log tails of a failing test

    async def make(appraisals: int = 1) -> ClusterSystem:
        run = uuid.uuid4().hex[:10]
        topics = Topics(*(f"erk.cluster.{purpose}.{run}"
                          for purpose in ("events", "ingress", "rejected", "dlq", "outcomes",
                                          "attendance")))
        async with cluster.admin() as admin:
            await admin.create_topics([
                NewTopic(topics.events, 6, REPLICAS), NewTopic(topics.ingress, 3, REPLICAS),
                NewTopic(topics.rejected, 1, REPLICAS), NewTopic(topics.dlq, 1, REPLICAS),
                NewTopic(topics.outcomes, 1, REPLICAS), NewTopic(topics.attendance, 1, REPLICAS)])
        intake_port = free_port()
        system = ClusterSystem(
            intake_url=f"http://127.0.0.1:{intake_port}", appraisal_url="", topics=topics,
            intake_db=await create_database("intake"),
            appraisal_db=await create_database("appraisal"), group=run)
        made.append(system)
        await cluster.wait_fully_replicated(system.topic_names())
        env = environment(system, intake_port)
        system.services.append(start("intake", "services.intake.entrypoints.cli", env,
                                      tmp_path))
        for n in range(1, appraisals + 1):
            port = free_port()
            system.appraisal_urls.append(f"http://127.0.0.1:{port}")
            system.services.append(start(f"appraisal-{n}", "services.appraisal.entrypoints.cli",
                                          {**env, "APPRAISAL_HTTP_PORT": str(port)}, tmp_path))
        system.appraisal_url = system.appraisal_urls[0]
        await wait_healthy(system)
        return system

    try:
        yield make
    finally:
        for system in made:
            for service in system.services:
                await asyncio.to_thread(stop, service)
            with contextlib.suppress(Exception):
                async with cluster.admin() as admin:
                    await admin.delete_topics(system.topic_names())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the services' log tails to a failing replication test."""
    report = yield
    systems = getattr(item, "cluster_systems", [])
    if report.failed:
        for system in systems:
            report.sections.append(("services", system.logs()))
    return report
