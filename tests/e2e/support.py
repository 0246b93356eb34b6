"""Helpers of the end-to-end tests: the running system's handle and a bounded poll."""

import asyncio
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from shared.auth import Principal, Role, issue_token
from shared.settings import AuthSettings, KafkaSettings

LOG_TAIL_CHARS = 6000
KAFKA = KafkaSettings().access()
EVENTS_PARTITIONS = 6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Topics:
    events: str
    ingress: str
    rejected: str
    dlq: str
    outcomes: str
    attendance: str


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError as exc:
            return f"<no log: {exc}>"
        return text[-LOG_TAIL_CHARS:]


@dataclass
class System:
    intake_url: str
    appraisal_url: str
    topics: Topics
    intake_db: str
    appraisal_db: str
    services: list[Service] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict, repr=False)  # holds the JWT secret
    """The services' environment (a restart may change it)."""
    log_dir: Path | None = None

    def token(self, subject: str, role: Role, ttl: timedelta = timedelta(hours=1)) -> str:
        return issue_token(AuthSettings(), Principal(subject, role), ttl)  # type: ignore[call-arg]

    def auth(self, subject: str, role: Role) -> dict[str, str]:
        """Request headers carrying a bearer token for ``subject`` in ``role``."""
        return {"Authorization": f"Bearer {self.token(subject, role)}"}

    def logs(self) -> str:
        return "\n".join(f"----- {s.name} (pid {s.process.pid}, exit {s.process.poll()}) "
                         f"{s.log} -----\n{s.tail()}" for s in self.services)


async def eventually(probe: Callable[[], Awaitable[Any]], within: float = 15.0,
                     interval: float = 0.2) -> Any:
    """Await ``probe`` until it returns without an AssertionError; re-raise the last one
    after ``within`` seconds. Returns what the probe returned."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await probe()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(interval)
