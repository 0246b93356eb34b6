"""The operator commands on the real PostgreSQL: ``--json`` output a script consumes and exit
codes that say what failed (1 the action failed, 2 an unknown id, 3 a database that cannot
be reached: nothing listening, no such database)."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from services.appraisal.domain.records import Record
from services.appraisal.entrypoints.cli import app
from services.appraisal.service_layer.batches import apply_records
from shared.db import make_engine
from tests.e2e.support import free_port

pytestmark = pytest.mark.integration


async def erk_appraisal(*args: str) -> Any:
    """The command as a person runs it (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def a_dead_letter(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await apply_records(conn, [Record("erk.events.v1", 0, 0, b"not json", b"k")])
    finally:
        await engine.dispose()


async def test_dead_letters_as_json_with_their_exit_codes(
        create_database: Callable[[str], Awaitable[str]]) -> None:
    url = await create_database("appraisal")
    await a_dead_letter(url)
    listed = await erk_appraisal("dead-letters", "list", "--url", url, "--json")
    assert listed.exit_code == 0, listed.output
    (letter,) = orjson.loads(listed.stdout)
    assert {k: letter[k] for k in ("status", "topic", "partition", "offset", "key")} == {
        "status": "open", "topic": "erk.events.v1", "partition": 0, "offset": 0, "key": "k"}

    retried = await erk_appraisal("dead-letters", "retry", str(letter["id"]), "--url", url,
                                  "--json")
    assert retried.exit_code == 1, retried.output  # bytes that are no JSON stay undecodable
    assert orjson.loads(retried.stdout)["status"] == "open"
    skipped = await erk_appraisal("dead-letters", "skip", str(letter["id"]), "--url", url,
                                  "--json")
    assert skipped.exit_code == 0, skipped.output
    assert orjson.loads(skipped.stdout)["status"] == "skipped"
    assert orjson.loads((await erk_appraisal("dead-letters", "list", "--url", url,
                                             "--json")).stdout) == []
    unknown = await erk_appraisal("dead-letters", "skip", "999999", "--url", url)
    assert unknown.exit_code == 2, unknown.output


async def test_a_database_that_cannot_be_reached_exits_3(
        create_database: Callable[[str], Awaitable[str]]) -> None:
    url = make_url(await create_database("appraisal"))
    nobody = url.set(port=free_port()).render_as_string(hide_password=False)
    missing = url.set(database="erk_no_such_database").render_as_string(hide_password=False)
    for target in (nobody, missing):
        result = await erk_appraisal("dead-letters", "list", "--url", target, "--json")
        assert result.exit_code == 3, result.output
        assert result.stdout == ""
        assert result.stderr.startswith("cannot reach the database or Kafka: ")
        assert "erk_no_such_database" in result.stderr or target == nobody


async def test_a_replay_summary_as_json(create_database: Callable[[str], Awaitable[str]],
                                        tmp_path: Path) -> None:
    store = await create_database("intake")  # an empty event store
    into = f"sqlite+aiosqlite:///{tmp_path / 'replayed.db'}"
    result = await erk_appraisal("audit", "replay", "--store-url", store, "--into", into,
                                 "--partitions", "3", "--json")
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert (summary["events"], summary["dead_letters"], summary["as_of"]) == (0, 0, "now")
    away = make_url(store).set(port=free_port()).render_as_string(hide_password=False)
    unreachable = await erk_appraisal("audit", "replay", "--store-url", away, "--into",
                                      f"sqlite+aiosqlite:///{tmp_path / 'other.db'}",
                                      "--partitions", "3", "--json")
    assert unreachable.exit_code == 3, unreachable.output
