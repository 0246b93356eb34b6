"""The supervisor restarts failed tasks with back-off and reports them; the stall rule;
which database errors count as an outage (503) and which stay a bug (500)."""

import asyncio
import errno

import asyncpg
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import exc as sa_exc

from shared.db import is_unavailable
from shared.progress import Progress
from shared.supervisor import Supervisor
from tests.support.waiting import eventually


def sample(registry: CollectorRegistry, name: str, task: str) -> float | None:
    return registry.get_sample_value(name, {"task": task})


async def test_a_failing_task_is_restarted_and_reported_down_meanwhile() -> None:
    registry = CollectorRegistry()
    supervisor = Supervisor(registry, first_backoff_s=0.2, max_backoff_s=0.2)
    runs: list[int] = []
    release = asyncio.Event()

    async def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise ConnectionResetError("database gone")
        await release.wait()  # the third run stays up

    supervisor.start("relay", flaky)
    await eventually(lambda: supervisor.report()["relay"]["status"] == "down", timeout=5)
    report = supervisor.report()
    assert report["status"] == "down"
    assert report["relay"]["last_error"] == "ConnectionResetError"
    assert sample(registry, "erk_task_up", "relay") == 0
    await eventually(lambda: len(runs) == 3 and supervisor.report()["status"] == "ok", timeout=5)
    assert supervisor.report()["relay"] == {"status": "ok", "restarts": 2,
                                            "last_error": "ConnectionResetError"}
    assert sample(registry, "erk_task_up", "relay") == 1
    assert sample(registry, "erk_task_restarts_total", "relay") == 2
    await supervisor.stop()


async def test_a_task_that_returns_is_started_again() -> None:
    supervisor = Supervisor(CollectorRegistry(), first_backoff_s=0.01, max_backoff_s=0.01)
    runs: list[int] = []

    async def returns() -> None:
        runs.append(1)

    supervisor.start("closer", returns)
    await eventually(lambda: len(runs) >= 3, timeout=5)
    assert supervisor.report()["closer"]["last_error"] == "ended"
    await supervisor.stop()


def test_back_off_doubles_up_to_the_cap() -> None:
    supervisor = Supervisor(CollectorRegistry(), first_backoff_s=0.5, max_backoff_s=15)
    assert [supervisor._delay(n) for n in (1, 2, 3, 5, 6, 7, 100)] == [
        0.5, 1.0, 2.0, 8.0, 15.0, 15.0, 15.0]


def test_progress_is_stalled_only_when_behind_and_not_moving() -> None:
    progress = Progress(stall_after_s=10)
    assert not progress.observe(mark=5, behind=3, now=100.0)  # first sight starts the clock
    assert not progress.observe(mark=5, behind=3, now=109.9)
    assert progress.observe(mark=5, behind=3, now=110.0)
    assert not progress.observe(mark=6, behind=3, now=111.0)  # it moved
    assert not progress.observe(mark=6, behind=3, now=120.9)
    assert progress.observe(mark=6, behind=9, now=121.0)
    assert not progress.observe(mark=6, behind=0, now=200.0)  # caught up: never stalled
    assert not progress.observe(mark=6, behind=1, now=209.9)  # waiting starts at catching up
    assert progress.observe(mark=6, behind=1, now=210.0)


def _wrapped(cause: BaseException, invalidated: bool = False) -> sa_exc.DBAPIError:
    error = sa_exc.DBAPIError("SELECT 1", None, cause, connection_invalidated=invalidated)
    error.__cause__ = cause
    return error


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
    TimeoutError(),
    OSError(errno.EHOSTUNREACH, "no route to host"),
    asyncpg.CannotConnectNowError("the database system is shutting down"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.InterfaceError("connection is closed"),
    _wrapped(asyncpg.CannotConnectNowError("the database system is starting up")),
    _wrapped(RuntimeError("cannot switch to state 11"), invalidated=True),
    sa_exc.TimeoutError("QueuePool limit reached"),
])
def test_outages_count_as_unavailable(error: BaseException) -> None:
    assert is_unavailable(error)


@pytest.mark.parametrize("error", [
    asyncpg.UniqueViolationError("duplicate key"),
    _wrapped(asyncpg.UndefinedColumnError("column x does not exist")),
    FileNotFoundError(errno.ENOENT, "policy.yaml"),
    ValueError("a bug"),
])
def test_statement_errors_and_bugs_do_not(error: BaseException) -> None:
    assert not is_unavailable(error)
