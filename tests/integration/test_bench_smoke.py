"""The benchmark suite's smoke run: the harness works and its results are correct (not fast).

Runs ``python -m tests.perf run --smoke`` as a child process on the real stack
(tiny sizes, fresh databases and topics it drops itself) and checks what it measured:
every projection run ended with the consumer positions at the end offsets, our consumer and
the straightforward handler produced the same projections (checksums) on the same prefix,
intake's accepted count equals the events in the store equals the records Kafka
acknowledged, the load generator's records all reached the sink or the topic, and the
replays into PostgreSQL and SQLite equal each other and a live run.

The harness's own flags are not trusted alone: it runs with ``ERK_BENCH_KEEP_DATABASES=1``,
and this test recounts from the databases it left (then drops them): activities and minutes
in each projection against a count made here from the same synthetic history, the event
store's rows against the requests intake answered with success, and each replay against
its store.
"""

import asyncio
import json
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from shared.envelope import EventEnvelope
from tests.perf import infra
from tests.support.history import organisation_history

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


MONTH_TOTALS = ("SELECT count(*), coalesce(sum(pending_minutes + approved_minutes + "
                "rejected_minutes + revision_minutes + not_validated_minutes), 0), "
                "coalesce(sum(approved_minutes), 0), coalesce(sum(rejected_minutes), 0) "
                "FROM employee_months")


def recount(envelopes: Iterable[EventEnvelope]) -> dict[str, int]:
    """What any projection of these events must hold, counted by hand: every reported
    activity once, all their minutes, and the minutes whose last decision approved or
    rejected them."""
    minutes: dict[str, int] = {}
    last: dict[str, str] = {}
    for envelope in envelopes:
        payload = envelope.payload
        if envelope.event_type == "ActivityReported":
            minutes[payload["activity_id"]] = payload["minutes"]
        elif envelope.event_type == "ReviewSubmitted" and payload["review"]["kind"] == (
                "validation"):
            last[payload["review"]["activity_id"]] = payload["review"]["decision"]
    decided = {d: sum(m for a, m in minutes.items() if last.get(a) == d)
               for d in ("approved", "rejected")}
    return {"activities": len(minutes), "minutes": sum(minutes.values()), **decided}


async def projected(name: str) -> dict[str, int]:
    conn = await asyncpg.connect(infra.asyncpg_url(name))
    try:
        activities = await conn.fetchval("SELECT count(*) FROM activities")
        _, total, approved, rejected = await conn.fetchrow(MONTH_TOTALS)
    finally:
        await conn.close()
    return {"activities": activities, "minutes": total, "approved": approved,
            "rejected": rejected}


async def store_counts(name: str) -> tuple[int, int, int]:
    """(events, highest position, ActivityReported events) of an event store."""
    conn = await asyncpg.connect(infra.asyncpg_url(name))
    try:
        row = await conn.fetchrow(
            "SELECT count(*), coalesce(max(position), 0), "
            "count(*) FILTER (WHERE event_type = 'ActivityReported') FROM events")
    finally:
        await conn.close()
    return row[0], row[1], row[2]


def sqlite_activities(path: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM activities").fetchone()[0])


def kept(results: dict[str, Any], purpose: str, benchmark: str) -> list[str]:
    return [n for n in results["kept"][benchmark]["databases"]
            if n.startswith(f"erk_bench_{purpose}_")]


async def drop_kept(results: dict[str, Any]) -> None:
    admin = await asyncpg.connect(infra.ADMIN_DSN)
    try:
        for part in results.get("kept", {}).values():
            for name in part["databases"]:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def test_smoke_run_measures_correct_results(tmp_path: Path, create_database: object) -> None:
    del create_database  # makes the session's key store, which the bench's intake seals with
    out = tmp_path / "bench.json"
    # as in .local/env: the relay MACs every record and the consumers check it
    key_file = tmp_path / "relay.key"
    key_file.write_text(secrets.token_hex(32))
    key_file.chmod(0o600)
    keys = {"INTAKE_RELAY_KEY_FILE": str(key_file), "APPRAISAL_RELAY_KEY_FILE": str(key_file)}
    run = subprocess.run(
        [sys.executable, "-m", "tests.perf", "run", "--smoke", "--json", str(out),
         "--logs", str(tmp_path / "logs")],
        cwd=ROOT, env={**os.environ, **keys, "COLUMNS": "160", infra.KEEP_DATABASES: "1"},
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    results = json.loads(out.read_text())
    try:
        check_flags(results)
        asyncio.run(check_recounts(results))
    finally:
        asyncio.run(drop_kept(results))
        for part in results.get("kept", {}).values():
            for path in part["files"]:
                Path(path).unlink(missing_ok=True)


async def check_recounts(results: dict[str, Any]) -> None:
    projection = results["projection"]
    history = organisation_history(projection["events"], seed=7).envelopes
    assert len(history) == projection["events"]
    # ours on the whole topic, ours on the prefix, the straightforward handler on the prefix
    whole, prefix, plain = kept(results, "appraisal", "projection")
    expected = recount(history)
    assert expected["approved"] > 0 and expected["rejected"] > 0
    assert await projected(whole) == expected
    expected_prefix = recount(history[:projection["prefix_events"]])
    assert await projected(prefix) == expected_prefix
    assert await projected(plain) == expected_prefix

    check = results["intake"]["check"]
    (store,) = kept(results, "intake", "intake")
    events, highest, activities = await store_counts(store)
    assert highest == events  # gap-free positions
    assert activities - check["activities_before"] == check["accepted"]

    (size,) = [size for size in results["replay"] if size != "wall_s"]  # smoke: one size
    filled = organisation_history(int(size), seed=11).envelopes
    (store,), (replayed,) = kept(results, "store", "replay"), kept(results, "replay", "replay")
    (sqlite,) = results["kept"]["replay"]["files"]
    events, highest, activities = await store_counts(store)
    assert (events, highest, activities) == (len(filled), len(filled),
                                             recount(filled)["activities"])
    assert results["replay"][size]["fill"]["events"] == events
    assert await projected(replayed) == recount(filled)
    assert sqlite_activities(sqlite) == activities


def check_flags(results: dict[str, Any]) -> None:
    assert results["smoke"] is True
    assert {"cpu", "cores", "ram_gb", "python", "postgresql", "kafka", "git_commit",
            "load_average"} <= set(results["machine"])

    loadgen = results["loadgen"]
    assert loadgen["planner"]["actions"] > 0
    for name, sent in (("http_batches", 500), ("kafka_ingress", 500), ("mixed_month", 1_000)):
        assert loadgen[name]["sent"] == sent and loadgen[name]["events_per_s"] > 0, name
    # the sink answered every report; every e-Samsat one went through Kafka, acknowledged
    assert loadgen["http_batches"]["accepted"] == {"reports": 500}
    assert loadgen["kafka_ingress"]["through_kafka"] == 500
    assert loadgen["mixed_month"]["accepted"]["decisions"] > 0

    projection = results["projection"]
    assert projection["records"] >= projection["events"] >= 3_000
    for name in ("ours", "ours_prefix", "straightforward"):
        assert projection[name]["positions_at_end"], name
        assert projection[name]["events_per_s"] > 0, name
    assert projection["ours"]["records"] == projection["records"]
    assert projection["ours"]["dead_letters"] == projection["ours_prefix"]["dead_letters"] == 0
    assert projection["straightforward"]["records"] == projection["prefix_records"]
    assert projection["prefix_checksums_equal"]
    assert projection["raw_aiokafka"]["records"] == projection["records"]
    assert projection["copy"]["records"] == projection["records"]
    assert all(ratio and ratio > 0 for ratio in projection["ratios"].values())

    intake = results["intake"]
    check = intake["check"]
    assert check["accepted"] > 0
    assert check["accepted_equals_store"], check
    assert check["store_equals_kafka"], check
    assert intake["latency"]["ok"] == intake["latency"]["requests"]
    for name in ("singles", "batches"):
        assert intake[name]["accepted"] > 0 and not intake[name]["rejected"], intake[name]

    freshness = results["freshness"]
    assert freshness["rejected"] == 0 and freshness["accepted"] > 0
    assert freshness["samples"] > 0 and freshness["not_visible_within_30s"] == 0
    assert freshness["freshness_ms"]["p99"] is not None

    for size, runs in results["replay"].items():
        if size == "wall_s":
            continue
        assert runs["fill"]["events"] >= 3_000
        assert runs["postgresql_equals_sqlite"], size
        assert runs["replay_equals_live"], size
        for target in ("postgresql", "sqlite"):
            assert runs[target]["peak_rss_mb"] > 0 and runs[target]["events_per_s"] > 0

    figures = {row["figure"] for row in results["targets"]}
    assert any(f.startswith("projection: ours") for f in figures)
    assert any(f.startswith("replay") for f in figures)
