"""Projections are a function of the event order alone, never of how the stream is cut
into batches: the same history applied in one batch, one event at a time, and in random
cuts gives identical tables (late joiners around period closes and policies included)."""

import random
from collections.abc import Sequence

import pytest

from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.adapters.projection_store import Record, apply_in
from shared.db import make_engine
from tests.support.history import History, organisation_history, wire

pytestmark = pytest.mark.integration


def history_with_late_joiners() -> History:
    history = organisation_history(1500, seed=11)
    history.employee(900)  # joins after January closed: no January row
    history.policy("2026.2", "2026-01")  # re-evaluates existing rows only
    history.close("2026-02")  # 900 was on the roster: gets a February row
    history.employee(901)  # joins after February closed: no February row
    return history


def records(history: History) -> list[Record]:
    return [Record("events", 0, offset, value, key)
            for offset, (key, value) in enumerate(wire(e) for e in history.envelopes)]


async def project(url: str, batches: Sequence[Sequence[Record]]) -> dict[str, tuple[int, str]]:
    engine = make_engine(url)
    try:
        for batch in batches:
            async with engine.begin() as conn:
                await apply_in(conn, batch)
        async with engine.connect() as conn:
            return await table_checksums(conn)
    finally:
        await engine.dispose()


def cut(items: list[Record], rng: random.Random) -> list[list[Record]]:
    batches, start = [], 0
    while start < len(items):
        size = rng.choice([1, 2, 3, 17, 250])
        batches.append(items[start:start + size])
        start += size
    return batches


async def test_projections_do_not_depend_on_batching(create_database) -> None:
    stream = records(history_with_late_joiners())
    whole = await project(await create_database("appraisal"), [stream])
    random_cuts = await project(await create_database("appraisal"),
                                cut(stream, random.Random(3)))
    assert whole["eligibility"][0] > 0
    assert random_cuts == whole
    one_by_one = await project(await create_database("appraisal"), [[r] for r in stream])
    assert one_by_one == whole
