"""The group committer without a database: who shares a unit of work, in which order, and
what happens when a group fails as a whole."""

import asyncio
import uuid
from datetime import date
from typing import Any

import pytest

from services.intake.adapters.memory import InMemoryStore
from services.intake.domain import commands as c
from services.intake.service_layer.committer import GroupCommitter, Request
from services.intake.service_layer.execution import run_group
from services.intake.service_layer.ports import ConcurrencyConflict, Context
from shared.auth import Principal
from shared.events import PeriodClosed
from shared.policy import default_policy_path, load_policy
from tests.support.waiting import eventually

pytestmark = pytest.mark.unit


def caller(name: str) -> Principal:
    return Principal(name, "admin")


class FakeGroups:
    """Answers each command with "<caller>:<command>"; records the groups it ran. While
    ``gate`` is closed a group waits, so the next requests queue up behind it."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.groups: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.failing = failing or set()

    async def __call__(self, requests: list[Request]) -> list[list[Any]]:
        names = [p.subject for p, _ in requests]
        self.groups.append(names)
        await self.gate.wait()
        if self.failing & set(names):
            raise ConnectionError("the group's transaction failed")
        return [[f"{p.subject}:{cmd}" for cmd in commands] for p, commands in requests]


def waiting(committer: GroupCommitter, count: int) -> Any:
    """Whether ``count`` requests wait behind the running group (the committer's queue)."""
    return lambda: len(committer._queue) == count


async def test_requests_queued_behind_a_group_share_the_next_one_in_order() -> None:
    groups = FakeGroups()
    committer = GroupCommitter(groups)
    groups.gate.clear()
    first = asyncio.create_task(committer.submit(caller("a"), ["1"]))
    await eventually(lambda: groups.groups, timeout=5, what="a group running")
    queued = [asyncio.create_task(committer.submit(caller(n), [n + "1", n + "2"]))
              for n in ("b", "c", "d")]
    await eventually(waiting(committer, 3), timeout=5, what="three requests queued")
    groups.gate.set()
    assert await first == ["a:1"]
    assert [await task for task in queued] == [["b:b1", "b:b2"], ["c:c1", "c:c2"],
                                               ["d:d1", "d:d2"]]
    assert groups.groups == [["a"], ["b", "c", "d"]]
    await committer.close()


async def test_a_group_holds_at_most_max_commands_and_a_big_request_goes_alone() -> None:
    groups = FakeGroups()
    committer = GroupCommitter(groups, max_commands=5)
    groups.gate.clear()
    blocker = asyncio.create_task(committer.submit(caller("a"), ["1"]))
    await eventually(lambda: groups.groups, timeout=5, what="a group running")
    sizes = {"b": 3, "c": 3, "d": 1, "e": 9, "f": 1}
    tasks = [asyncio.create_task(committer.submit(caller(n), [str(i) for i in range(size)]))
             for n, size in sizes.items()]
    await eventually(waiting(committer, len(sizes)), timeout=5, what="all requests queued")
    groups.gate.set()
    await asyncio.gather(blocker, *tasks)
    assert groups.groups == [["a"], ["b"], ["c", "d"], ["e"], ["f"]]
    assert [len(await t) for t in tasks] == list(sizes.values())
    await committer.close()


async def test_a_failed_group_is_retried_one_by_one() -> None:
    groups = FakeGroups(failing={"bad"})
    committer = GroupCommitter(groups)
    results = await asyncio.gather(
        committer.submit(caller("a"), ["1"]), committer.submit(caller("bad"), ["2"]),
        committer.submit(caller("c"), ["3"]), return_exceptions=True)
    assert results[0] == ["a:1"] and results[2] == ["c:3"]
    assert isinstance(results[1], ConnectionError)
    assert groups.groups == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]
    await committer.close()


async def test_a_caller_that_went_away_does_not_stop_the_others() -> None:
    groups = FakeGroups()
    committer = GroupCommitter(groups)
    groups.gate.clear()
    gone = asyncio.create_task(committer.submit(caller("gone"), ["1"]))
    await eventually(lambda: groups.groups, timeout=5, what="a group running")
    gone.cancel()
    stays = asyncio.create_task(committer.submit(caller("stays"), ["2"]))
    groups.gate.set()
    assert await stays == ["stays:2"]
    assert gone.cancelled()
    assert await committer.submit(caller("later"), ["3"]) == ["later:3"]
    await committer.close()


async def test_a_conflict_fails_only_the_request_that_caused_it() -> None:
    """On the real group runner: a close whose stream version is already used (a close that
    slipped through elsewhere) fails its group; retried alone, the report beside it is kept."""
    store = InMemoryStore()
    today = date(2026, 3, 4)
    committer = GroupCommitter(lambda requests: run_group(store.unit, requests, today))
    admin, samsat = Principal("admin", "admin"), Principal("e-samsat", "eservice")
    nip = "199001012015032001"
    await committer.submit(admin, [load_policy(default_policy_path()), c.RegisterEmployee(
        nip=nip, name="Pegawai", unit="U", position="Staf")])
    async with store.unit(Context(admin)) as uow:
        uow.record(PeriodClosed(period="2026-02"), "period-2026-02", 1, "*")
    report = c.ReportActivity(activity_id=uuid.uuid4(), nip=nip,
                              work_date=date(2026, 3, 2), minutes=30, description="PKB")
    close, reported = await asyncio.gather(
        committer.submit(admin, [c.ClosePeriod(period="2026-02")]),
        committer.submit(samsat, [report]), return_exceptions=True)
    assert isinstance(close, ConcurrencyConflict)
    assert isinstance(reported, list) and reported[0]["status"] == "accepted"
    assert [e.stream_id for e in store.events][-2:] == [
        "period-2026-02", f"activity-{report.activity_id}"]
    await committer.close()

