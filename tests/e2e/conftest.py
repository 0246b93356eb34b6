"""The whole system as real processes: fresh databases and topics, both services started
with ``python -m ... serve`` exactly as an operator would, and stopped afterwards.

The ``system`` fixture is module scoped: each e2e module gets a system of its own, so a
scenario's figures never include another module's events. The services' output goes to
files under a temporary directory; their tails are attached to every failing e2e test.
A module that overrides the ``clock_at`` fixture starts both services on that instant
(``ERK_CLOCK_AT``); ``restart`` starts a service again, e.g. on a later instant.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.admin import NewTopic

from shared.kafka import admin as kafka_admin
from shared.settings import AuthSettings
from tests.e2e.support import EVENTS_PARTITIONS, KAFKA, Service, System, Topics, free_port
from tests.support.kafka import security_env
from tests.support.pseudonyms import pseudonym_env

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 60.0
# Service settings the test sets itself; anything inherited under these prefixes is dropped
# so a developer's shell (e.g. INTAKE_POLICY_FILE, the dev ports) cannot leak in.
OWNED_PREFIXES = ("INTAKE_", "APPRAISAL_", "ERK_KAFKA_", "ERK_CLOCK_", "ERK_KEYS_")
MODULES = {"intake": "services.intake.entrypoints.cli",
           "appraisal": "services.appraisal.entrypoints.cli"}
Restart = Callable[..., Awaitable[None]]


def _environment(system: System, intake_port: int, appraisal_port: int,
                 clock_at: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWNED_PREFIXES)}
    suffix = uuid.uuid4().hex[:8]
    env.update({
        **security_env(),
        **pseudonym_env(),  # the stack's principal (admin: the topics are the test's own)
        "PYTHONUNBUFFERED": "1",
        "ERK_JWT_SECRET": AuthSettings().secret.get_secret_value(),  # type: ignore[call-arg]
        "ERK_KAFKA_BOOTSTRAP": KAFKA.bootstrap,
        "ERK_KAFKA_EVENTS_TOPIC": system.topics.events,
        "ERK_KAFKA_INGRESS_TOPIC": system.topics.ingress,
        "ERK_KAFKA_REJECTED_TOPIC": system.topics.rejected,
        "ERK_KAFKA_DLQ_TOPIC": system.topics.dlq,
        "ERK_KAFKA_OUTCOMES_TOPIC": system.topics.outcomes,
        "ERK_KAFKA_ATTENDANCE_TOPIC": system.topics.attendance,
        "INTAKE_DATABASE_URL": system.intake_db,
        "INTAKE_HTTP_PORT": str(intake_port),
        "INTAKE_INGRESS_GROUP": f"erk-e2e-ingress-{suffix}",
        "INTAKE_RELAY_IDLE_POLL_S": "0.2",
        "INTAKE_APPRAISAL_URL": system.appraisal_url,  # the close's distribution check
        "APPRAISAL_DATABASE_URL": system.appraisal_db,
        "APPRAISAL_HTTP_PORT": str(appraisal_port),
        "APPRAISAL_CONSUMER_GROUP": f"erk-e2e-appraisal-{suffix}",
        "APPRAISAL_KEY_CACHE_S": "1",
        # the session's key store (tests/conftest.py)
        "ERK_KEYS_DATABASE_URL": os.environ["ERK_KEYS_DATABASE_URL"],
        "ERK_KEYS_MASTER_KEY_FILE": os.environ["ERK_KEYS_MASTER_KEY_FILE"],
        **({"ERK_CLOCK_AT": clock_at} if clock_at else {}),
    })
    return env


def _start(name: str, module: str, env: dict[str, str], log_dir: Path) -> Service:
    log = log_dir / f"{name}.log"
    with log.open("ab") as out:  # the child keeps its own descriptor; a restart appends
        process = subprocess.Popen(
            [sys.executable, "-m", module, "serve"], cwd=REPO, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Service(name, process, log)


def _stop(service: Service, grace_s: float = 10.0) -> None:
    process = service.process
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


async def _wait_healthy(system: System) -> None:
    targets = {"intake": system.intake_url, "appraisal": system.appraisal_url}
    last: dict[str, str] = dict.fromkeys(targets, "no answer yet")
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            for service in system.services:
                if service.process.poll() is not None:
                    pytest.fail(f"{service.name} exited with {service.process.returncode} "
                                f"while starting\n{system.logs()}", pytrace=False)
            for name, url in list(targets.items()):
                try:
                    response = await client.get(f"{url}/health")
                    last[name] = f"{response.status_code} {response.text}"
                    if response.status_code == 200 and response.json()["status"] == "ok":
                        del targets[name]
                except httpx.HTTPError as exc:
                    last[name] = f"{type(exc).__name__}: {exc}"
            if not targets:
                return
            await asyncio.sleep(0.3)
    pytest.fail(f"services not healthy after {STARTUP_TIMEOUT_S:.0f}s: "
                f"{ {name: last[name] for name in targets} }\n{system.logs()}", pytrace=False)


@pytest.fixture(scope="module")
def clock_at() -> str | None:
    """The instant both services start on (ERK_CLOCK_AT); None: real time."""
    return None


@pytest.fixture(scope="module")
async def system(create_database: Callable[[str], Awaitable[str]],
                 tmp_path_factory: pytest.TempPathFactory,
                 clock_at: str | None) -> AsyncIterator[System]:
    """Both services as subprocesses on fresh databases, topics and consumer groups."""
    admin = kafka_admin(KAFKA)
    await admin.start()
    run = uuid.uuid4().hex[:10]
    topics = Topics(*(f"erk.e2e.{purpose}.{run}" for purpose in
                      ("events", "ingress", "rejected", "dlq", "outcomes", "attendance")))
    await admin.create_topics([NewTopic(topics.events, EVENTS_PARTITIONS, 1),
                               NewTopic(topics.ingress, 3, 1), NewTopic(topics.rejected, 1, 1),
                               NewTopic(topics.dlq, 1, 1), NewTopic(topics.outcomes, 1, 1),
                               NewTopic(topics.attendance, 3, 1)])
    intake_port, appraisal_port = free_port(), free_port()
    system = System(
        intake_url=f"http://127.0.0.1:{intake_port}",
        appraisal_url=f"http://127.0.0.1:{appraisal_port}",
        topics=topics,
        intake_db=await create_database("intake"),
        appraisal_db=await create_database("appraisal"),
    )
    system.env = _environment(system, intake_port, appraisal_port, clock_at)
    system.log_dir = tmp_path_factory.mktemp("services")
    try:
        for name, module in MODULES.items():
            system.services.append(_start(name, module, system.env, system.log_dir))
        await _wait_healthy(system)
        yield system
    finally:
        for service in system.services:
            await asyncio.to_thread(_stop, service)
        with contextlib.suppress(Exception):
            await admin.delete_topics(list(vars(topics).values()))
        await admin.close()


@pytest.fixture(scope="module")
def restart(system: System) -> Restart:
    """``await restart("intake", ERK_CLOCK_AT=...)``: stop a service, start it again with
    these environment changes, wait until both services are healthy."""

    async def restart(name: str, **changes: str) -> None:
        index = next(i for i, s in enumerate(system.services) if s.name == name)
        await asyncio.to_thread(_stop, system.services[index])
        system.env = {**system.env, **changes}
        assert system.log_dir is not None
        system.services[index] = _start(name, MODULES[name], system.env, system.log_dir)
        await _wait_healthy(system)

    return restart


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the services' log tails to a failing e2e test."""
    report = yield
    system = getattr(item, "funcargs", {}).get("system")
    if report.failed and isinstance(system, System):
        report.sections.append(("services", system.logs()))
    return report
