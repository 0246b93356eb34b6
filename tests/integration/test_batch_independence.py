"""Projections are a function of the event order alone, never of how the stream is cut
into batches: the same history applied in one batch, one event at a time, and in random
cuts gives identical tables (late joiners around period closes and policies included, and
activities still waiting at a close becoming "not validated in time"); and, as a property,
any cut of any generated history (``tests.support.strategies.histories``)."""

import random
from collections.abc import Sequence
from datetime import date
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.domain.records import Record
from services.appraisal.projections.activities import activities
from services.appraisal.service_layer.batches import apply_records
from shared.db import make_engine
from tests.support.history import History, organisation_history, wire
from tests.support.recount import projected, recount
from tests.support.strategies import histories

pytestmark = pytest.mark.integration


def history_with_late_joiners() -> History:
    history = organisation_history(1500, seed=11)
    history.employee(900)  # joins after January closed: no January row
    history.policy("2026.2", "2026-01")  # re-evaluates existing rows only
    history.activity(3, date(2026, 2, 27), 75)  # still pending at February's close
    _, sent_back = history.activity(4, date(2026, 2, 27), 50)
    history.decision(4, 0, sent_back, "revision_requested")  # and never resubmitted
    revisions(history)
    history.close("2026-02")  # 900 was on the roster: gets a February row
    history.employee(901)  # joins after February closed: no February row
    return history


def revisions(history: History) -> None:
    """Activities sent back and amended: on the same day, moved within February, moved into
    March (where 2 reports to 9 instead of 0), one amended twice, and an amended one
    pending at the close."""
    history.line(2, 9, since=date(2026, 3, 1))
    history.activity(2, date(2026, 3, 3), minutes=45)  # March has figures before the move
    cases = [(date(2026, 2, 24), [date(2026, 2, 24)], "approved"),
             (date(2026, 2, 25), [date(2026, 2, 23)], "rejected"),
             (date(2026, 2, 27), [date(2026, 3, 2)], "approved"),
             (date(2026, 2, 26), [date(2026, 2, 26), date(2026, 2, 20)], "approved"),
             (date(2026, 2, 26), [date(2026, 2, 26)], None)]
    for reported_on, amended_days, final in cases:
        _, activity_id = history.activity(2, reported_on, minutes=120)
        for n, day in enumerate(amended_days):
            history.decision(2, 0, activity_id, "revision_requested")
            history.revision(2, activity_id, day, minutes=90 - 10 * n)
        if final is not None:
            history.decision(2, 9 if amended_days[-1].month == 3 else 0, activity_id, final)


def records(history: History) -> list[Record]:
    return [Record("events", 0, offset, value, key)
            for offset, (key, value) in enumerate(wire(e) for e in history.envelopes)]


async def project(url: str, batches: Sequence[Sequence[Record]]) -> dict[str, tuple[int, str]]:
    engine = make_engine(url)
    try:
        for batch in batches:
            async with engine.begin() as conn:
                await apply_records(conn, batch)
        async with engine.connect() as conn:
            return await table_checksums(conn)
    finally:
        await engine.dispose()


async def not_validated(url: str) -> dict[str, int]:
    """Periods -> activities not validated in time."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(activities.c.period)
                                      .where(activities.c.status == "not_validated"))
            periods = [row.period for row in rows]
        return {period: periods.count(period) for period in set(periods)}
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
    history = history_with_late_joiners()
    stream = records(history)
    whole_url = await create_database("appraisal")
    whole = await project(whole_url, [stream])
    assert await projected(whole_url) == recount(history.envelopes)
    closed_waiting = await not_validated(whole_url)
    # the two waiting activities above, and the amendment still pending at the close
    assert closed_waiting == {"2026-02": 3}, closed_waiting
    random_cuts = await project(await create_database("appraisal"),
                                cut(stream, random.Random(3)))
    assert whole["eligibility"][0] > 0
    assert sum(e.event_type == "ActivityRevised" for e in history_with_late_joiners()
               .envelopes) == 6
    assert random_cuts == whole
    one_by_one = await project(await create_database("appraisal"), [[r] for r in stream])
    assert one_by_one == whole


@st.composite
def cut_points(draw: st.DrawFn, size: int) -> list[int]:
    return sorted(draw(st.sets(st.integers(1, max(1, size - 1)), max_size=12)))


@pytest.fixture(scope="module")
async def two_databases(create_database: Any) -> tuple[str, str]:
    return await create_database("appraisal"), await create_database("appraisal")


async def empty(url: str) -> None:
    """Every projection table emptied, so one database serves example after example."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            names = [name for name in await conn.scalars(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
                if "version" not in name]  # the migrations' own bookkeeping stays
            await conn.execute(text(f"TRUNCATE {', '.join(names)}"))
    finally:
        await engine.dispose()


@given(data=st.data())
@settings(max_examples=10)
async def test_any_cut_of_any_generated_history_gives_the_same_tables(
        two_databases: tuple[str, str], data: st.DataObject) -> None:
    history = data.draw(histories(max_steps=40))
    stream = records(history)
    cuts = data.draw(cut_points(len(stream)))
    batches = [stream[a:b] for a, b in pairwise([0, *cuts, len(stream)])]
    assert sum(map(len, batches)) == len(stream)
    whole_url, cut_url = two_databases
    for url in two_databases:
        await empty(url)
    whole = await project(whole_url, [stream])
    assert await project(cut_url, batches) == whole
    assert await projected(cut_url) == recount(history.envelopes)
