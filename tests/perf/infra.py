"""Fresh databases and topics, services as child processes, machine facts."""

import asyncio
import contextlib
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import TopicPartition
from aiokafka.admin import NewTopic

from shared import topics
from shared.db import migrate
from shared.kafka import admin as kafka_admin
from shared.kafka import consumer as kafka_consumer
from shared.kafka_access import KafkaAccess
from shared.settings import KafkaSettings

ROOT = Path(__file__).resolve().parents[2]
PG_HOST = os.environ.get("ERK_BENCH_PG_HOST", f"127.0.0.1:{os.environ.get('ERK_PG_PORT', '5432')}")
PG_USER = os.environ.get("ERK_BENCH_PG_USER", "erk")
PG_PASSWORD = os.environ.get("ERK_BENCH_PG_PASSWORD", "erk")
KAFKA = KafkaSettings().access()
ADMIN_DSN = f"postgresql://{PG_USER}:{PG_PASSWORD}@{PG_HOST}/postgres"
PARTITIONS = topics.EVENTS_PARTITIONS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def db_url(name: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}:{PG_PASSWORD}@{PG_HOST}/{name}"


def asyncpg_url(name: str) -> str:
    return f"postgresql://{PG_USER}:{PG_PASSWORD}@{PG_HOST}/{name}"


KEEP_DATABASES = "ERK_BENCH_KEEP_DATABASES"
"""Set to 1, the benchmarks leave their databases and SQLite files for a caller to recount
(the smoke test does, then drops them); topics are dropped all the same."""


@dataclass
class Stack:
    """Creates fresh databases (migrated or empty) and 6-partition topics (on ``kafka``,
    with ``replicas`` replicas each); drops them all (the databases and files only without
    ``ERK_BENCH_KEEP_DATABASES=1``: then ``kept`` and ``kept_files`` list them, in the order
    they were made)."""

    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    databases: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    keep: bool = field(default_factory=lambda: os.environ.get(KEEP_DATABASES) == "1")
    kept: list[str] = field(default_factory=list)
    kept_files: list[str] = field(default_factory=list)
    kafka: KafkaAccess = field(default_factory=lambda: KAFKA)
    replicas: int = 1

    async def database(self, purpose: str, migrations: Path | None = None) -> str:
        name = f"erk_bench_{purpose}_{self.run_id}_{len(self.databases)}"
        admin = await asyncpg.connect(ADMIN_DSN)
        try:
            await admin.execute(f'CREATE DATABASE "{name}" OWNER "{PG_USER}"')
        finally:
            await admin.close()
        self.databases.append(name)
        url = db_url(name)
        if migrations is not None:
            await asyncio.to_thread(migrate, url, migrations)
        return url

    async def topic(self, purpose: str, partitions: int = PARTITIONS) -> str:
        name = f"erk.bench.{purpose}.{self.run_id}.{len(self.topics)}"
        admin = kafka_admin(self.kafka)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, num_partitions=partitions,
                                                replication_factor=self.replicas)])
        finally:
            await admin.close()
        self.topics.append(name)
        return name

    async def drop(self) -> None:
        if self.keep:
            self.kept += self.databases
            self.kept_files += [str(path) for path in self.files]
            self.databases.clear()
            self.files.clear()
        if self.databases:
            admin = await asyncpg.connect(ADMIN_DSN)
            try:
                for name in self.databases:
                    await _drop_database(admin, name)
            finally:
                await admin.close()
            self.databases.clear()
        if self.topics:
            admin = kafka_admin(self.kafka)
            await admin.start()
            try:
                await admin.delete_topics(self.topics)
            finally:
                await admin.close()
            self.topics.clear()
        for path in self.files:
            with contextlib.suppress(OSError):
                path.unlink()
        self.files.clear()


async def _drop_database(admin: asyncpg.Connection, name: str) -> None:
    """DROP ... WITH (FORCE); when another role's session blocks it, retry for a while."""
    for attempt in range(20):
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except asyncpg.PostgresError as exc:
            if attempt == 19:
                print(f"could not drop database {name}: {exc}")
                return
            await asyncio.sleep(1.0)


async def end_offsets(topic: str, partitions: int = PARTITIONS,
                      kafka: KafkaAccess = KAFKA) -> dict[int, int]:
    consumer = kafka_consumer(kafka)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        return {tp.partition: off for tp, off in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


class Service:
    """A service as a child process (``python -m module args``), output in a log file;
    optionally profiled with py-spy while it runs."""

    def __init__(self, module: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.module, self.args, self.env, self.log = module, args, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.spy: subprocess.Popen[bytes] | None = None

    def start(self) -> "Service":
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", self.module, *self.args],
                                         cwd=ROOT, env={**os.environ, **self.env}, stdout=out,
                                         stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def profile(self, svg: Path, rate: int = 50) -> None:
        """Start sampling this process with py-spy until :meth:`stop_profile`."""
        svg.parent.mkdir(parents=True, exist_ok=True)
        self.spy = subprocess.Popen(
            ["py-spy", "record", "--pid", str(self.pid), "--rate", str(rate), "--format",
             "raw", "-o", str(svg.with_suffix(".txt")), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop_profile(self) -> None:
        if self.spy is not None and self.spy.poll() is None:
            self.spy.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.spy.wait(30)
        self.spy = None

    def check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.module} exited: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.stop_profile()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


async def wait_http(url: str, limit_s: float = 60.0, service: Service | None = None) -> None:
    import httpx

    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if service is not None:
                service.check_alive()
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code < 500:
                    return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {limit_s} s")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


async def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal")), 0)
    info: dict[str, Any] = {
        "cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(), "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }
    try:
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            info["postgresql"] = await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()
    except Exception as exc:
        info["postgresql"] = f"unknown ({exc})"
    info["kafka"] = kafka_version()
    git = await asyncio.to_thread(subprocess.run, ["git", "rev-parse", "HEAD"], cwd=ROOT,
                                  capture_output=True, text=True, check=False)
    dirty = await asyncio.to_thread(subprocess.run, ["git", "status", "--porcelain"],
                                    cwd=ROOT, capture_output=True, text=True, check=False)
    info["git_commit"] = git.stdout.strip()
    info["git_dirty"] = bool(dirty.stdout.strip())
    return info


def _broker_libraries() -> list[str]:
    """Library folders of a local broker: this checkout's stack, the Docker image's, and the
    classpath of a running broker (a git worktree uses the main checkout's stack)."""
    folders = [str(ROOT / ".local" / "kafka" / "libs"), "/opt/kafka/libs"]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            args = cmdline.read_bytes().split(b"\0")
            if b"kafka.Kafka" in args and b"-cp" in args:
                classpath = args[args.index(b"-cp") + 1].decode()
                folders += [entry.removesuffix("/*") for entry in classpath.split(":")]
    return folders


def kafka_version() -> str:
    """The broker's version, from the kafka-clients jar it runs with; else unknown (the
    client cannot tell: aiokafka no longer negotiates API versions)."""
    for folder in _broker_libraries():
        with contextlib.suppress(OSError):
            for jar in sorted(os.listdir(folder)):
                if jar.startswith("kafka-clients-") and jar.endswith(".jar"):
                    return jar.removeprefix("kafka-clients-").removesuffix(".jar")
    return "unknown"
