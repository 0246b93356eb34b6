"""What every replication test requires once its load has stopped and the system settled,
in the manner of Kafka's own replication system test (every acknowledged message is
consumed, none twice), but end to end:

- every command acknowledged (HTTP 2xx, or a Kafka acknowledgement of an ingress record)
  is in the event store, once;
- the events topic holds every position of the store (the relay checkpoints only what
  Kafka acknowledged, so a lost acknowledged write would show as a gap);
- the projections hold every stored activity exactly once, with its decision, and equal a
  replay of the store table by table (``erk-appraisal audit verify``), so no re-published
  or re-delivered record was applied twice; no dead letter.
"""

import time
from collections import Counter
from dataclasses import dataclass

from aiokafka import TopicPartition
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters.dead_letters import dead_letters
from services.appraisal.projections.activities import activities
from services.appraisal.service_layer.batches import ProjectionService
from services.appraisal.service_layer.verify import run_verify
from services.intake.adapters.relay import CHECKPOINT
from services.intake.adapters.tables import events, relay_checkpoint
from shared.codec import decode_envelope
from shared.db import make_engine
from shared.kafka import raw_consumer
from shared.kafka_access import KafkaAccess
from tests.cluster.system import ClusterSystem
from tests.support.cluster import Cluster, until
from tests.support.mixed_load import Ledger
from tests.support.pseudonyms import pseudonyms

SETTLE_S = 180.0


@dataclass
class Figures:
    head: int = 0
    """Events in the store."""
    records: int = 0
    """Records on the events topic (broadcast events count once per partition)."""
    republished: int = 0
    """Records the relay sent again after a failed acknowledgement (consumers drop them)."""
    settle_s: float = 0.0

    def __str__(self) -> str:
        return (f"store head {self.head}, {self.records} records on Kafka "
                f"({self.republished} re-published), settled in {self.settle_s:.1f} s")


async def stored_activities(store: AsyncEngine) -> Counter[str]:
    async with store.connect() as conn:
        rows = await conn.execute(select(events.c.stream_id)
                                  .where(events.c.event_type == "ActivityReported"))
        return Counter(row.stream_id.removeprefix("activity-") for row in rows)


async def store_head(store: AsyncEngine) -> int:
    async with store.connect() as conn:
        return int(await conn.scalar(select(func.coalesce(func.max(events.c.position), 0))))


async def relay_checkpoint_of(store: AsyncEngine) -> int:
    async with store.connect() as conn:
        return int(await conn.scalar(select(relay_checkpoint.c.position)
                                     .where(relay_checkpoint.c.name == CHECKPOINT)) or 0)


async def kafka_copy(bootstrap: str, topic: str, ends: dict[int, int]) -> list[tuple[int, int]]:
    """(partition, global position) of every record on the topic, up to ``ends``."""
    consumer = raw_consumer(KafkaAccess(bootstrap), enable_auto_commit=False)
    await consumer.start()
    seen: list[tuple[int, int]] = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in ends])
        await consumer.seek_to_beginning()
        done = {p: ends[p] == 0 for p in ends}
        while not all(done.values()):
            for tp, batch in (await consumer.getmany(timeout_ms=1000)).items():
                for record in batch:
                    if record.offset < ends[tp.partition]:
                        seen.append((tp.partition, decode_envelope(record.value).position or 0))
                    done[tp.partition] = record.offset + 1 >= ends[tp.partition]
    finally:
        await consumer.stop()
    return seen


async def settle(cluster: Cluster, system: ClusterSystem, ledger: Ledger) -> Figures:
    """Wait until intake executed every acknowledged ingress record, the relay published
    the whole store and appraisal applied the whole topic; then check everything."""
    started = time.monotonic()
    store, live = make_engine(system.intake_db), make_engine(system.appraisal_db)
    try:
        async def ingress_executed() -> bool:
            return set(ledger.ingested) <= set(await stored_activities(store))

        await until(ingress_executed, "acknowledged ingress records executed", SETTLE_S)
        head = await store_head(store)

        async def relay_done() -> bool:
            return await relay_checkpoint_of(store) >= head

        await until(relay_done, f"relay published up to {head}", SETTLE_S)
        ends = await cluster.end_offsets(system.topics.events)

        async def applied() -> bool:
            return await ProjectionService(live).next_offsets(system.topics.events) == ends

        await until(applied, "appraisal applied the whole topic", SETTLE_S)
        figures = Figures(head=head, settle_s=time.monotonic() - started)
        await check(system, ledger, store, live, ends, figures)
        return figures
    finally:
        await store.dispose()
        await live.dispose()


async def check(system: ClusterSystem, ledger: Ledger, store: AsyncEngine,
                live: AsyncEngine, ends: dict[int, int], figures: Figures) -> None:
    stored = await stored_activities(store)
    twice = [a for a, n in stored.items() if n > 1]
    assert not twice, f"{len(twice)} activities stored twice, e.g. {twice[:3]}"
    lost = ledger.accepted() - set(stored)
    assert not lost, f"{len(lost)} acknowledged activities are not in the store"

    copy = await kafka_copy(system.bootstrap, system.topics.events, ends)
    figures.records, figures.republished = len(copy), len(copy) - len(set(copy))
    gaps = set(range(1, figures.head + 1)) - {position for _, position in copy}
    assert not gaps, f"{len(gaps)} stored positions are missing on Kafka: {sorted(gaps)[:10]}"

    async with live.connect() as conn:
        rows = (await conn.execute(select(activities.c.activity_id,
                                          activities.c.status))).all()
        letters = await conn.scalar(select(func.count()).select_from(dead_letters))
    status = {row.activity_id: row.status for row in rows}
    assert len(rows) == len(status) and set(status) == set(stored), (
        f"projected {len(rows)} activities, stored {len(stored)}")
    wrong = {a: (d, status[a]) for a, d in ledger.decided.items() if status[a] != d}
    assert not wrong, f"{len(wrong)} decisions not projected: {list(wrong.items())[:3]}"
    assert letters == 0, f"{letters} dead letters"

    report = await run_verify(system.intake_db, system.appraisal_db, KafkaAccess(system.bootstrap),
                              system.topics.events, pseudonyms=pseudonyms())
    failed = [f"{c.name}: {c.details}" for c in report.checks if c.result != "PASS"]
    assert report.ok, f"projections differ from a replay of the store: {failed}"

