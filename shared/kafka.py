"""Kafka client settings and the partitioning rule: one home for every producer, consumer and
partition choice of the system (relay, projection consumer, rebuilds, dead letters, the
simulator's e-service feed, the benchmarks).

- Producers are idempotent with ``acks=all``: a record is acknowledged once every in-sync
  replica has it, and a retry after a lost acknowledgement is not written twice.
- Consumers never commit offsets to Kafka: their position lives with what they apply (the
  projection database), or nowhere (rebuilds and checks read a fixed range).
- A record goes to the partition Kafka's default partitioner gives its key; an event that
  concerns everyone (``BROADCAST_KEY``) goes to every partition.

Clients are made inside the running event loop (aiokafka's rule), so these are factories.
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import murmur2

from shared.topics import BROADCAST_KEY

RELIABLE: dict[str, Any] = {"acks": "all", "enable_idempotence": True,
                            "request_timeout_ms": 15_000}
STREAMING: dict[str, Any] = {"linger_ms": 2, "max_batch_size": 512 * 1024}
"""Batching for a steady stream: waits up to 2 ms to fill batches of up to 512 KiB."""
LARGE_FETCHES: dict[str, Any] = {"max_partition_fetch_bytes": 4 * 1024 * 1024,
                                 "fetch_max_bytes": 32 * 1024 * 1024}
"""Fetch sizes for catching up on a backlog: 4 MiB a partition (the default 1 MiB holds a
couple of thousand events), 32 MiB a fetch."""
_BROADCAST = BROADCAST_KEY.encode()


def producer(bootstrap: str) -> AIOKafkaProducer:
    """A producer for occasional records that must be neither lost nor written twice by a
    retry (dead letters)."""
    return AIOKafkaProducer(bootstrap_servers=bootstrap, **RELIABLE)


def streaming_producer(bootstrap: str) -> AIOKafkaProducer:
    """The same guarantees, batched for throughput (the relay, e-service feeds)."""
    return AIOKafkaProducer(bootstrap_servers=bootstrap, **RELIABLE, **STREAMING)


def consumer(bootstrap: str, group_id: str | None = None) -> AIOKafkaConsumer:
    """A consumer that commits nothing to Kafka, starts at the earliest record when it has
    no position, and fetches large batches. ``group_id`` only for partition assignment."""
    return AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id,
                            enable_auto_commit=False, auto_offset_reset="earliest",
                            **LARGE_FETCHES)


@lru_cache(maxsize=1 << 16)
def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` among ``partitions`` (Java's
    murmur2 formula, as aiokafka computes it)."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


def target_partitions(key: bytes, partitions: Sequence[int]) -> Sequence[int]:
    """Where a record with ``key`` (the encoded subject NIP) is written among the topic's
    ``partitions`` (sorted ids): all of them for a broadcast, else the one its key hashes to."""
    if key == _BROADCAST:
        return partitions
    return (partitions[partition_for(key, len(partitions))],)
