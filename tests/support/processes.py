"""A service as a real child process on a free port, for tests that cut its database or
kill it: start, SIGKILL, stop, and wait until its /health answers."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
PORT_ENV = {"intake": "INTAKE_HTTP_PORT", "appraisal": "APPRAISAL_HTTP_PORT"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    def __init__(self, service: str, env: dict[str, str], log: Path,
                 args: tuple[str, ...] = ()) -> None:
        self.service, self.env, self.log, self.args = service, env, log, args
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.service}.entrypoints.cli", "serve",
                 *self.args], cwd=ROOT,
                env={**os.environ, **self.env, PORT_ENV[self.service]: str(self.port)},
                stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"{self.service} is not running: {tail}")

    async def wait_healthy(self, timeout: float = 60) -> None:  # noqa: ASYNC109
        async with httpx.AsyncClient(base_url=self.base, timeout=5) as client:
            async def up() -> bool:
                self.check_alive()
                with contextlib.suppress(httpx.HTTPError):
                    return (await client.get("/health")).status_code == 200
                return False

            _: bool = await eventually(up, timeout=timeout,  # typed: mypy infers Never
                                       interval=0.2, what=f"{self.service} healthy")
