#!/usr/bin/env python3
"""Readiness check for the local stack (run by `deploy/stack up`).

Proves that the dependencies really accept work (no sleeping):
  * Kafka: connects (retrying up to ERK_CHECK_TIMEOUT seconds, default 60), creates the
    topics in TOPICS if missing, then does a produce/consume round trip on erk.healthcheck.
  * PostgreSQL: `SELECT 1` on every database in DATABASES with asyncpg.

Prints one line per dependency and exits non-zero naming the failing piece.
`--kafka-only` skips PostgreSQL (`deploy/stack cluster up` checks the cluster with it).

Environment (deploy/stack passes what it started; .local/env holds the same values):
  ERK_KAFKA_BOOTSTRAP     Kafka bootstrap servers       (default 127.0.0.1:$ERK_KAFKA_PORT, 9092)
  ERK_KAFKA_SECURITY_PROTOCOL, _USERNAME, _PASSWORD_FILE
                          who to be (shared/settings.py KafkaSettings; the stack: admin)
  ERK_TOPIC_REPLICATION   replicas of created topics    (default 1; the cluster: 3)
  ERK_EVENTS_PARTITIONS   partitions of erk.events.v1   (default 6)
  ERK_POSTGRES_URL        base URL without database
                          (default postgresql://erk:erk@127.0.0.1:$ERK_PG_PORT, port 5432)
  ERK_CHECK_TIMEOUT       seconds to keep retrying      (default 60)
  ERK_CHECK_DEBUG=1       show aiokafka's own log messages
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: shared/
from shared import topics  # imports nothing itself: works without the venv too

BOOTSTRAP = os.environ.get("ERK_KAFKA_BOOTSTRAP",
                           f"127.0.0.1:{os.environ.get('ERK_KAFKA_PORT', '9092')}")
EVENTS_PARTITIONS = int(os.environ.get("ERK_EVENTS_PARTITIONS", str(topics.EVENTS_PARTITIONS)))
POSTGRES_URL = os.environ.get(
    "ERK_POSTGRES_URL", f"postgresql://erk:erk@127.0.0.1:{os.environ.get('ERK_PG_PORT', '5432')}"
).rstrip("/")
TIMEOUT = float(os.environ.get("ERK_CHECK_TIMEOUT", "60"))
REPLICATION_FACTOR = int(os.environ.get("ERK_TOPIC_REPLICATION", "1"))

HEALTHCHECK_TOPIC = "erk.healthcheck"
EVENTS_TOPIC = topics.EVENTS

# The topics of the system (shared/topics.py), the events topic with the partitions asked for,
# and the one this script uses.
TOPICS: dict[str, tuple[int, dict[str, str]]] = {
    **{name: (topic.partitions, topic.configs) for name, topic in topics.TOPICS.items()},
    EVENTS_TOPIC: (EVENTS_PARTITIONS, topics.TOPICS[EVENTS_TOPIC].configs),
    HEALTHCHECK_TOPIC: (1, {}),
}

DATABASES = ("erk_intake", "erk_appraisal")


class CheckFailed(Exception):
    pass


async def _retry(what: str, deadline: float, attempt):
    """Run `attempt()` until it succeeds or the deadline passes."""
    last: BaseException | None = None
    while True:
        try:
            return await attempt()
        except CheckFailed:
            raise
        except Exception as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise CheckFailed(f"{what}: {type(last).__name__}: {last}")
        await asyncio.sleep(1)


# ---------------------------------------------------------------------------- kafka
def _access():
    """The configured principal on BOOTSTRAP, through the clients' one helper."""
    from shared.settings import KafkaSettings

    return KafkaSettings().access(BOOTSTRAP)


async def _ensure_topics() -> dict[str, int]:
    from aiokafka.admin import NewPartitions, NewTopic

    from shared import kafka

    admin = kafka.admin(_access())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, partitions, REPLICATION_FACTOR, topic_configs=configs)
            for name, (partitions, configs) in TOPICS.items()
            if name not in existing
        ]
        if missing:
            resp = await admin.create_topics(missing, timeout_ms=30000)
            for err in getattr(resp, "topic_errors", getattr(resp, "topic_error_codes", [])):
                name, code = err[0], err[1]
                if code not in (0, 36):  # 36 = TOPIC_ALREADY_EXISTS (raced with someone)
                    raise RuntimeError(f"creating topic {name} failed with error code {code}")
            for t in missing:
                print(f"kafka: created topic {t.name} ({t.num_partitions} partitions)", flush=True)

        partitions: dict[str, int] = {}
        # metadata of freshly created topics may lag: retry until every topic is visible
        # and every partition has a leader
        for _ in range(60):
            described = await admin.describe_topics(list(TOPICS))
            partitions = {
                d["topic"]: len(d["partitions"])
                for d in described
                if d.get("error_code", 0) == 0
                and d["partitions"]
                and all(p.get("leader", -1) >= 0 for p in d["partitions"])
            }
            if all(name in partitions for name in TOPICS):
                break
            await asyncio.sleep(0.5)
        else:
            missing = sorted(set(TOPICS) - set(partitions))
            raise RuntimeError(f"topics without leaders / not in metadata: {missing}")

        # partition counts can only grow: grow when the wanted count is larger
        grow = {
            name: NewPartitions(total_count=wanted)
            for name, (wanted, _) in TOPICS.items()
            if partitions[name] < wanted
        }
        if grow:
            await admin.create_partitions(grow, timeout_ms=30000)
            for name, np in grow.items():
                print(f"kafka: grew {name} to {np.total_count} partitions", flush=True)
                partitions[name] = np.total_count
        for name, (wanted, _) in TOPICS.items():
            if partitions[name] > wanted:
                print(
                    f"kafka: warning: {name} has {partitions[name]} partitions (> {wanted} wanted;"
                    " partitions cannot be removed, recreate the topic if that matters)",
                    flush=True,
                )
        return partitions
    finally:
        await admin.close()


async def _round_trip() -> None:
    from aiokafka import TopicPartition

    from shared import kafka

    tp = TopicPartition(HEALTHCHECK_TOPIC, 0)
    consumer = kafka.raw_consumer(_access(), group_id=None, enable_auto_commit=False)
    producer = kafka.raw_producer(_access(), acks="all")
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.seek_to_end(tp)
        start = await consumer.position(tp)
        await producer.start()
        try:
            value = f"healthcheck-{uuid.uuid4()}".encode()
            meta = await producer.send_and_wait(HEALTHCHECK_TOPIC, value, partition=0)
        finally:
            await producer.stop()
        if meta.offset < start:
            raise RuntimeError(f"produced at offset {meta.offset} < end offset {start}")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            for msg in batch.get(tp, []):
                if msg.value == value:
                    return
        raise RuntimeError("produced a message but could not consume it back within 20 s")
    finally:
        await consumer.stop()


async def check_kafka(deadline: float) -> str:
    try:
        import aiokafka  # noqa: F401
    except ImportError as exc:
        raise CheckFailed(f"kafka: python package aiokafka is missing ({exc})") from exc
    partitions = await _retry(
        f"kafka: not reachable / topics not ready at {BOOTSTRAP}", deadline, _ensure_topics
    )
    await _retry(
        f"kafka: produce/consume round trip on {HEALTHCHECK_TOPIC} failed at {BOOTSTRAP}",
        max(deadline, time.monotonic() + 30),
        _round_trip,
    )
    return (
        f"kafka: ok ({BOOTSTRAP}, topic {EVENTS_TOPIC} with {partitions[EVENTS_TOPIC]} partitions,"
        f" {len(TOPICS)} topics with {REPLICATION_FACTOR} replica(s), round trip on"
        f" {HEALTHCHECK_TOPIC})"
    )


# ------------------------------------------------------------------------- postgres
async def check_postgres(deadline: float) -> str:
    try:
        import asyncpg
    except ImportError as exc:
        raise CheckFailed(f"postgres: python package asyncpg is missing ({exc})") from exc

    async def select_one(db: str) -> None:
        conn = await asyncpg.connect(f"{POSTGRES_URL}/{db}", timeout=5)
        try:
            if await conn.fetchval("SELECT 1") != 1:
                raise RuntimeError("SELECT 1 did not return 1")
        finally:
            await conn.close()

    for db in DATABASES:
        await _retry(f"postgres: SELECT 1 on database {db} failed", deadline,
                     lambda db=db: select_one(db))
    where = POSTGRES_URL.split("@")[-1]
    return f"postgres: ok ({where}, databases {', '.join(DATABASES)})"


async def main() -> int:
    # aiokafka logs transient errors (e.g. NotLeaderForPartition right after topic creation)
    # that it retries itself; failures that matter are reported by this script.
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    if not os.environ.get("ERK_CHECK_DEBUG"):
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    deadline = time.monotonic() + TIMEOUT
    failures = 0
    checks = (check_kafka,) if "--kafka-only" in sys.argv[1:] else (check_postgres, check_kafka)
    for check in checks:
        try:
            print(await check(deadline), flush=True)
        except CheckFailed as exc:
            print(f"{exc}", file=sys.stderr, flush=True)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
