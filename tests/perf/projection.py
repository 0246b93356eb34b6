"""Projection throughput: N events already in Kafka, applied to every projection by the real
consumer (``erk-appraisal serve`` as a child process), beside three baselines on the same
events: a straightforward FastStream handler (one event per transaction, on a prefix), the
raw aiokafka consume-and-decode rate, and the PostgreSQL COPY rate for rows of the same size.

The records carry the relay's MAC when the consumer checks one (``APPRAISAL_RELAY_KEY_FILE``,
as in ``.local/env``), and both consumers check it: the figures are of the production path.
A run in which the consumer dead-lettered anything, or whose checksums differ from the
straightforward handler's, fails instead of reporting figures of another path.
"""

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import TopicPartition

from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.adapters.dead_letters import dead_letters
from services.appraisal.adapters.migrations import MIGRATIONS as APPRAISAL_MIGRATIONS
from services.appraisal.domain.authenticity import Gate
from services.appraisal.domain.records import Record
from services.appraisal.service_layer.batches import apply_records
from shared.codec import decode_envelope, decode_payload, encode
from shared.db import make_engine
from shared.envelope import EventEnvelope
from shared.kafka import broker as kafka_broker
from shared.kafka import consumer as kafka_consumer
from shared.kafka import streaming_producer, target_partitions
from shared.record_mac import RelayKey, load_relay_key, record_headers
from tests.perf import infra
from tests.perf.profiles import summarise
from tests.support.history import stream_organisation
from tests.support.pseudonyms import pseudonyms

Say = Callable[[str], None]


def relay_key() -> RelayKey | None:
    """The key the consumer checks the relay's MAC with (None: it checks none)."""
    path = os.environ.get("APPRAISAL_RELAY_KEY_FILE")
    return load_relay_key(Path(path)) if path else None


async def produce(envelopes: Iterable[EventEnvelope], topic: str, prefix_topic: str | None = None,
                  prefix: int = 0, partitions: int = infra.PARTITIONS,
                  say: Say = print) -> dict[str, int]:
    """Publish like the relay: key = the subject id of the event's NIP (the pseudonym a replay
    from the store recomputes), broadcasts (``*``) to every partition, the relay's MAC when
    there is a key. The first ``prefix`` events also go to ``prefix_topic``. Returns records
    per topic."""
    keys, mac = pseudonyms(), relay_key()
    producer = streaming_producer(infra.KAFKA)
    await producer.start()
    sent = {topic: 0, **({prefix_topic: 0} if prefix_topic else {})}
    events = 0
    try:
        futures: list[asyncio.Future[Any]] = []
        started = time.monotonic()
        for index, envelope in enumerate(envelopes):
            key, value = keys.record_key(envelope.subject_nip), encode(envelope)
            targets = target_partitions(key, range(partitions))
            names = [topic] if index >= prefix or not prefix_topic else [topic, prefix_topic]
            for name in names:
                for partition in targets:
                    headers = record_headers(mac, name, partition, key, value)
                    futures.append(await producer.send(name, value, key=key,
                                                       partition=partition, headers=headers))
                    sent[name] += 1
            events += 1
            if len(futures) >= 10_000:
                await asyncio.gather(*futures)
                futures = []
            if events % 100_000 == 0:
                say(f"  produced {events:,} events ({events / (time.monotonic() - started):,.0f}"
                    "/s)")
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    sent["events"] = events
    return sent


async def _stored_total(dsn: str, topic: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        value = await conn.fetchval("SELECT coalesce(sum(next_offset), 0) FROM "
                                    "consumer_positions WHERE topic = $1", topic)
        return int(value)
    finally:
        await conn.close()


async def _stored(dsn: str, topic: str) -> dict[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT partition, next_offset FROM consumer_positions "
                                "WHERE topic = $1", topic)
        return {r["partition"]: r["next_offset"] for r in rows}
    finally:
        await conn.close()


async def run_ours(stack: infra.Stack, topic: str, logs: Path, profile: Path | None = None,
                   limit_s: float = 3600) -> dict[str, Any]:
    """The real consumer on a fresh database until its stored positions equal the end
    offsets. The rate is taken from the first committed batch to the last (steady state:
    process start and the group join are excluded and reported apart)."""
    url = await stack.database("appraisal", APPRAISAL_MIGRATIONS)
    dsn = url.replace("postgresql+asyncpg", "postgresql")
    ends = await infra.end_offsets(topic)
    total = sum(ends.values())
    dlq = await stack.topic("dlq", 1)
    service = infra.Service("services.appraisal.entrypoints.cli", ["serve"], {
        "APPRAISAL_DATABASE_URL": url, "ERK_KAFKA_EVENTS_TOPIC": topic,
        "ERK_KAFKA_DLQ_TOPIC": dlq, "APPRAISAL_HTTP_PORT": str(infra.free_port()),
        "APPRAISAL_CONSUMER_GROUP": f"erk-bench-{stack.run_id}-{topic}"},
        logs / "appraisal-projection.log")
    launched = time.monotonic()
    service.start()
    first_at = first_done = None
    try:
        if profile is not None:
            service.profile(profile)
        deadline = launched + limit_s
        done = 0
        while done < total:
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumer stuck at {done}/{total}")
            service.check_alive()
            await asyncio.sleep(0.1)
            done = await _stored_total(dsn, topic)
            if done and first_at is None:
                first_at, first_done = time.monotonic(), done
        finished = time.monotonic()
        service.stop_profile()
    finally:
        service.stop()
    assert first_at is not None and first_done is not None
    steady = finished - first_at
    stored = await _stored(dsn, topic)
    refused = await _dead_letters(dsn)
    if total > first_done and steady > 0:
        rate = (total - first_done) / steady
    else:  # one batch took it all (tiny runs): the whole time from launch
        rate = total / (finished - launched)
    return {"records": total, "url": url, "seconds_total": round(finished - launched, 2),
            "seconds_steady": round(steady, 2), "first_batch_records": first_done,
            "events_per_s": round(rate, 1),
            "events_per_s_incl_start": round(total / (finished - launched), 1),
            "positions_at_end": stored == ends, "end_offsets": ends, "dead_letters": refused}


async def _dead_letters(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {dead_letters.name}"))
    finally:
        await conn.close()


async def _binary_headers(record: Any, parse: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream's parser reads header values as UTF-8 text, and the relay's MAC is binary
    (without this, every record fails to parse before the handler, silently): the parser gets
    the record without headers, the handler the whole record."""
    message = await parse(replace(record, headers=[]))
    message.raw_message = record
    return message


async def run_straightforward(stack: infra.Stack, topic: str) -> dict[str, Any]:
    """A FastStream subscriber, one message per call, default ack policy, each event in its
    own transaction; runs until it applied every record of ``topic``."""
    from faststream.kafka.annotations import KafkaMessage

    url = await stack.database("appraisal", APPRAISAL_MIGRATIONS)
    ends = await infra.end_offsets(topic)
    total = sum(ends.values())
    engine = make_engine(url)
    broker = kafka_broker(infra.KAFKA, logger=None)  # no per-message log lines
    state: dict[str, Any] = {"n": 0, "first": None, "last": None}
    done = asyncio.Event()
    gate = Gate(relay_key())

    @broker.subscriber(topic, group_id=f"erk-bench-plain-{stack.run_id}",
                       auto_offset_reset="earliest", parser=_binary_headers)
    async def handle(body: Any, msg: KafkaMessage) -> None:
        raw: Any = msg.raw_message  # one ConsumerRecord (not a batch subscriber)
        record = Record(raw.topic, raw.partition, raw.offset, raw.value or b"", raw.key,
                        raw.timestamp, headers=tuple(raw.headers))
        try:
            async with engine.begin() as conn:
                await apply_records(conn, [record], gate=gate)
        except Exception as exc:
            state["error"] = repr(exc)
            done.set()
            raise
        state["n"] += 1
        now = time.monotonic()
        if state["first"] is None:
            state["first"] = now
        state["last"] = now
        if state["n"] >= total:
            done.set()

    try:
        async with broker:
            await broker.start()
            await asyncio.wait_for(done.wait(), timeout=3600)
    finally:
        await engine.dispose()
    if "error" in state:
        raise RuntimeError(f"straightforward handler failed: {state['error']}")
    dsn = url.replace("postgresql+asyncpg", "postgresql")
    stored = await _stored(dsn, topic)
    seconds = state["last"] - state["first"]
    return {"records": total, "url": url, "seconds": round(seconds, 2),
            "events_per_s": round((total - 1) / seconds, 1) if seconds > 0 else None,
            "positions_at_end": stored == ends}


async def run_raw(topic: str, sample: list[bytes], keep: int = 10_000) -> dict[str, Any]:
    """aiokafka getmany + decode_envelope + decode_payload over the whole topic; keeps the
    first ``keep`` values in ``sample`` (for the COPY rows)."""
    ends = await infra.end_offsets(topic)
    total = sum(ends.values())
    consumer = kafka_consumer(infra.KAFKA)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in ends])
        await consumer.seek_to_beginning()
        seen, first = 0, None
        while seen < total:
            fetched = await consumer.getmany(timeout_ms=100, max_records=5000)
            for messages in fetched.values():
                if first is None:
                    first = time.monotonic()
                for m in messages:
                    envelope = decode_envelope(m.value or b"")
                    decode_payload(envelope)
                    seen += 1
                    if len(sample) < keep:
                        sample.append(m.value or b"")
        finished = time.monotonic()
    finally:
        await consumer.stop()
    seconds = finished - (first or finished)
    return {"records": seen, "seconds": round(seconds, 2),
            "events_per_s": round(seen / seconds, 1) if seconds > 0 else None}


async def run_copy(stack: infra.Stack, rows: int, sample: list[bytes]) -> dict[str, Any]:
    """COPY ``rows`` rows (position bigint, event JSON text) into a fresh table."""
    url = await stack.database("copy")
    name = url.rsplit("/", 1)[1]
    texts = [value.decode() for value in sample]
    conn = await asyncpg.connect(infra.asyncpg_url(name))
    try:
        await conn.execute("CREATE TABLE bench_copy (position bigint NOT NULL, body text "
                           "NOT NULL)")
        records = ((i, texts[i % len(texts)]) for i in range(rows))
        started = time.monotonic()
        await conn.copy_records_to_table("bench_copy", records=records,
                                         columns=["position", "body"])
        seconds = time.monotonic() - started
        count = await conn.fetchval("SELECT count(*) FROM bench_copy")
        size = await conn.fetchval("SELECT avg(octet_length(body))::int FROM bench_copy")
    finally:
        await conn.close()
    return {"records": int(count), "seconds": round(seconds, 2), "avg_row_bytes": size,
            "events_per_s": round(rows / seconds, 1) if seconds > 0 else None}


async def checksums(url: str) -> dict[str, tuple[int, str]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await table_checksums(conn)
    finally:
        await engine.dispose()


async def bench(stack: infra.Stack, events: int, prefix: int, logs: Path, say: Say,
                profile_dir: Path | None = None, seed: int = 7) -> dict[str, Any]:
    topic = await stack.topic("events")
    prefix_topic = await stack.topic("events-prefix")
    say(f"producing {events:,} events to {topic} (first {prefix:,} also to {prefix_topic})")
    started = time.monotonic()
    sent = await produce(stream_organisation(events, seed, sealed=True), topic, prefix_topic,
                         prefix, say=say)
    say(f"  {sent['events']:,} events = {sent[topic]:,} records in "
        f"{time.monotonic() - started:.0f} s")
    result: dict[str, Any] = {"events": sent["events"], "records": sent[topic],
                              "prefix_events": min(prefix, sent["events"]),
                              "prefix_records": sent[prefix_topic]}

    say("ours: erk-appraisal serve on the whole topic")
    profile = profile_dir / "projection-ours" if profile_dir else None
    ours = await run_ours(stack, topic, logs, profile)
    if profile is not None:
        ours["profile_top"] = summarise(profile.with_suffix(".txt"))
    say(f"  {ours['events_per_s']:,} records/s")
    say("ours on the prefix (for the checksum comparison)")
    ours_prefix = await run_ours(stack, prefix_topic, logs)
    say("straightforward FastStream handler on the prefix")
    plain = await run_straightforward(stack, prefix_topic)
    say(f"  {plain['events_per_s']:,} records/s")
    say("raw aiokafka consume + decode")
    sample: list[bytes] = []
    raw = await run_raw(topic, sample)
    say(f"  {raw['events_per_s']:,} records/s")
    say("PostgreSQL COPY of the same number of rows")
    copy = await run_copy(stack, sent[topic], sample)
    say(f"  {copy['events_per_s']:,} rows/s")
    same = await checksums(ours_prefix["url"]) == await checksums(plain["url"])
    refused = ours["dead_letters"] + ours_prefix["dead_letters"]
    if refused or not same:
        raise RuntimeError(f"not a measure of the projection path: {refused} records "
                           f"dead-lettered, prefix checksums equal: {same} (does the "
                           "consumer check a relay key other than APPRAISAL_RELAY_KEY_FILE?)")
    for part in (ours, ours_prefix, plain):
        part.pop("url", None)
    rate = ours["events_per_s"] or 0.0
    result.update({
        "ours": ours, "ours_prefix": ours_prefix, "straightforward": plain, "raw_aiokafka": raw,
        "copy": copy, "prefix_checksums_equal": same,
        "ratios": {name: round(rate / other["events_per_s"], 3) if other["events_per_s"]
                   else None for name, other in (("straightforward", plain),
                                                 ("raw_aiokafka", raw), ("copy", copy))},
    })
    return result


