"""The invariants after a chaos run, each a named check with its figures."""

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from aiokafka import TopicPartition

from services.appraisal.service_layer.verify import run_verify
from shared.codec import decode_envelope
from shared.db import asyncpg_dsn
from shared.kafka import consumer as kafka_consumer
from shared.kafka_access import KafkaAccess
from tests.chaos.system import System
from tests.perf.infra import end_offsets
from tests.support.pseudonyms import pseudonyms
from tests.support.waiting import eventually


@dataclass
class Check:
    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


async def settled(system: System, timeout: float = 180) -> Check:  # noqa: ASYNC109
    """Nothing stuck: both healthy, the relay and the consumer with no lag."""
    started, last = time.monotonic(), {}

    async def quiet() -> bool:
        nonlocal last
        async with httpx.AsyncClient(timeout=5) as client:
            intake = (await client.get(f"{system.intake.base}/health")).json()
            appraisal = (await client.get(f"{system.appraisal.base}/health")).json()
        last = {"intake": intake, "appraisal": appraisal}
        return (intake["status"] == appraisal["status"] == "ok"
                and intake["relay"]["lag_events"] == 0
                and appraisal["consumer"]["lag_positions"] == 0)

    try:
        await eventually(quiet, timeout=timeout, interval=0.5, what="the system settled")
        ok = True
    except AssertionError:
        ok = False
    relay, consumer = last["intake"].get("relay", {}), last["appraisal"].get("consumer", {})
    return Check("nothing stuck", ok, {
        "settled_after_s": round(time.monotonic() - started, 1),
        "store_head": relay.get("store_head"), "relay_checkpoint": relay.get("checkpoint"),
        "consumer_lag_positions": consumer.get("lag_positions"),
        "intake_task_restarts": {k: v["restarts"] for k, v in last["intake"]["tasks"].items()
                                 if isinstance(v, dict)},
        "appraisal_task_restarts": {k: v["restarts"] for k, v in
                                    last["appraisal"]["tasks"].items() if isinstance(v, dict)}})


async def stored_once(system: System, acknowledged: list[str]) -> Check:
    """Every event id intake acknowledged is in the store, exactly once."""
    wanted = sorted(set(acknowledged))
    conn = await asyncpg.connect(asyncpg_dsn(system.intake_url))
    try:
        rows = await conn.fetch("SELECT event_id, count(*) AS n FROM events "
                                "WHERE event_id = ANY($1::uuid[]) GROUP BY event_id",
                                [uuid.UUID(e) for e in wanted])
    finally:
        await conn.close()
    found = {str(r["event_id"]): r["n"] for r in rows}
    missing = [e for e in wanted if e not in found]
    twice = [e for e, n in found.items() if n != 1]
    return Check("acknowledged stored once", not missing and not twice, {
        "acknowledged": len(wanted), "missing": missing[:10], "stored_more_than_once": twice})


async def published(system: System) -> Check:
    """Every stored position is on the topic; re-publications (a relay killed between
    publishing and checkpointing) are counted, since consumers drop them by position."""
    conn = await asyncpg.connect(asyncpg_dsn(system.intake_url))
    try:
        head = int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM events"))
        checkpoint = int(await conn.fetchval(
            "SELECT coalesce(max(position), 0) FROM relay_checkpoint") or 0)
        broadcasts = set(await conn.fetchval(
            "SELECT coalesce(array_agg(position), '{}') FROM events WHERE subject_nip = '*'"))
    finally:
        await conn.close()
    ends = await end_offsets(system.topic, kafka=system.kafka)
    copies = await _positions_on(system.kafka, system.topic, ends)
    missing = sorted(set(range(1, head + 1)) - copies.keys())
    partitions = len(ends)
    extra = sum(n - (partitions if p in broadcasts else 1) for p, n in copies.items())
    return Check("published (at least once, re-publications dropped downstream)",
                 not missing and checkpoint == head, {
                     "store_head": head, "relay_checkpoint": checkpoint,
                     "records_on_topic": sum(ends.values()), "missing_positions": missing[:10],
                     "republished_records": extra})


async def _positions_on(kafka: KafkaAccess, topic: str, ends: dict[int, int]) -> Counter[int]:
    consumer = kafka_consumer(kafka)
    await consumer.start()
    copies: Counter[int] = Counter()
    try:
        partitions = [TopicPartition(topic, p) for p in ends]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        done = {p: ends[p] == 0 for p in ends}
        while not all(done.values()):
            for tp, records in (await consumer.getmany(timeout_ms=1000, max_records=5000)
                                ).items():
                copies.update(decode_envelope(r.value).position or 0 for r in records)
                done[tp.partition] = records[-1].offset + 1 >= ends[tp.partition]
    finally:
        await consumer.stop()
    return copies


async def verified(system: System) -> Check:
    """``audit verify``: the hash chain, and a fresh rebuild equal to the live projections."""
    report = await run_verify(system.intake_url, system.appraisal_url, system.kafka,
                              system.topic, warn=lambda _: None, pseudonyms=pseudonyms())
    return Check("verify (chain, projections equal a replay)", report.ok, {
        "checks": [f"{c.result} {c.name.strip()}: {c.details}" for c in report.checks]})


async def no_dead_letters(system: System) -> Check:
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"{system.appraisal.base}/metrics")).text
    open_letters = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                       if line.startswith(("erk_dead_letters_open{", "erk_held_keys{")))
    return Check("no dead letters or held keys", open_letters == 0,
                 {"open_dead_letters_and_held_keys": open_letters})


def no_server_errors(answers: Counter[int]) -> Check:
    """A lost database or broker is a 503 (retry later), never a 500 (a bug)."""
    failed = {status: n for status, n in answers.items() if status >= 500 and status != 503}
    return Check("no 500 answers", not failed, {"server_errors_by_status": failed,
                                                 "answered_503": answers.get(503, 0)})
