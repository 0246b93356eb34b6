"""The whole system on the cluster as real processes (``python -m ... serve``, as tests/e2e
runs them): its handle, the services' environment (the cluster's bootstrap list is the only
thing that differs from a single-broker run), starting, stopping, waiting for health."""

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from shared.policy import default_policy_path
from shared.settings import AuthSettings
from tests.e2e.support import Service, System
from tests.support.pseudonyms import pseudonym_env
from tests.support.waiting import eventually

CLUSTER = os.environ.get("ERK_CLUSTER_BOOTSTRAP", "")
REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 90.0
OWNED_PREFIXES = ("INTAKE_", "APPRAISAL_", "ERK_KAFKA_", "ERK_CLOCK_")
"""Settings set here; inherited ones are dropped, as in tests/e2e."""


@dataclass
class ClusterSystem(System):
    appraisal_urls: list[str] = field(default_factory=list)
    group: str = ""
    bootstrap: str = CLUSTER

    def topic_names(self) -> list[str]:
        return list(vars(self.topics).values())


def environment(system: ClusterSystem, intake_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWNED_PREFIXES)}
    env.update({
        **pseudonym_env(),
        "PYTHONUNBUFFERED": "1",
        "ERK_JWT_SECRET": AuthSettings().secret.get_secret_value(),  # type: ignore[call-arg]
        "ERK_KAFKA_BOOTSTRAP": CLUSTER,
        "ERK_KAFKA_EVENTS_TOPIC": system.topics.events,
        "ERK_KAFKA_INGRESS_TOPIC": system.topics.ingress,
        "ERK_KAFKA_REJECTED_TOPIC": system.topics.rejected,
        "ERK_KAFKA_DLQ_TOPIC": system.topics.dlq,
        "ERK_KAFKA_OUTCOMES_TOPIC": system.topics.outcomes,
        "ERK_KAFKA_ATTENDANCE_TOPIC": system.topics.attendance,
        "INTAKE_DATABASE_URL": system.intake_db,
        "INTAKE_HTTP_PORT": str(intake_port),
        "INTAKE_INGRESS_GROUP": f"erk-cluster-ingress-{system.group}",
        "INTAKE_RELAY_IDLE_POLL_S": "0.2",
        "INTAKE_POLICY_FILE": str(default_policy_path()),
        "APPRAISAL_DATABASE_URL": system.appraisal_db,
        "APPRAISAL_CONSUMER_GROUP": f"erk-cluster-appraisal-{system.group}",
    })
    return env


def start(name: str, module: str, env: dict[str, str], log_dir: Path) -> Service:
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        process = subprocess.Popen([sys.executable, "-m", module, "serve"], cwd=REPO, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Service(name, process, log)


def stop(service: Service) -> None:
    if service.process.poll() is None:
        service.process.send_signal(signal.SIGTERM)
        try:
            service.process.wait(15)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait(5)


async def wait_healthy(system: ClusterSystem) -> None:
    pending = {system.intake_url, *system.appraisal_urls}
    async with httpx.AsyncClient(timeout=5) as client:
        async def all_healthy() -> bool:
            for service in system.services:
                if service.process.poll() is not None:
                    pytest.fail(f"{service.name} exited while starting\n{system.logs()}")
            for url in list(pending):
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    answer = await client.get(f"{url}/health")
                    if answer.status_code == 200 and answer.json()["status"] == "ok":
                        pending.discard(url)
            return not pending

        try:
            await eventually(all_healthy, STARTUP_TIMEOUT_S, 0.3, "all services healthy")
        except AssertionError:
            pytest.fail(f"not healthy after {STARTUP_TIMEOUT_S:.0f} s: {pending}\n"
                        f"{system.logs()}")
