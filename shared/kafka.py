"""Kafka client settings and the partitioning rule: one home for every producer, consumer and
partition choice of the system (relay, projection consumer, rebuilds, dead letters, the
simulator's e-service feed, the benchmarks).

- Producers are idempotent with ``acks=all``: a record is acknowledged once every in-sync
  replica has it, and a retry after a lost acknowledgement is not written twice.
- Consumers never commit offsets to Kafka: their position lives with what they apply (the
  projection database), or nowhere (rebuilds and checks read a fixed range).
- A record goes to the partition Kafka's default partitioner gives its key; an event that
  concerns everyone (``BROADCAST_KEY``) goes to every partition.

Every client is made here, from a ``KafkaAccess`` (the brokers and this process's principal),
so each carries the security settings. Clients are made inside the running event loop
(aiokafka's rule), so these are factories.
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import murmur2
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from shared.kafka_access import KafkaAccess
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


def raw_producer(access: KafkaAccess, **options: Any) -> AIOKafkaProducer:
    """A producer with exactly ``options`` (tests and checks that need other settings)."""
    return AIOKafkaProducer(**access.client_options(), **options)


def raw_consumer(access: KafkaAccess, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer with exactly ``options``."""
    return AIOKafkaConsumer(*topics, **access.client_options(), **options)


def admin(access: KafkaAccess, request_timeout_ms: int = 10_000) -> AIOKafkaAdminClient:
    """An admin client (metadata, topics, group offsets)."""
    return AIOKafkaAdminClient(**access.client_options(), request_timeout_ms=request_timeout_ms)


def producer(access: KafkaAccess, **options: Any) -> AIOKafkaProducer:
    """A producer for occasional records that must be neither lost nor written twice by a
    retry (dead letters); ``options`` add to it (a transactional id)."""
    return raw_producer(access, **RELIABLE, **options)


def streaming_producer(access: KafkaAccess) -> AIOKafkaProducer:
    """The same guarantees, batched for throughput (the relay, e-service feeds)."""
    return raw_producer(access, **RELIABLE, **STREAMING)


def consumer(access: KafkaAccess, group_id: str | None = None,
             committed_only: bool = False) -> AIOKafkaConsumer:
    """A consumer that commits nothing to Kafka, starts at the earliest record when it has
    no position, and fetches large batches. ``group_id`` only for partition assignment.
    ``committed_only`` for topics written in transactions (the ingress answers): records of
    aborted transactions are skipped."""
    return raw_consumer(access, group_id=group_id, enable_auto_commit=False,
                        auto_offset_reset="earliest",
                        isolation_level="read_committed" if committed_only
                        else "read_uncommitted", **LARGE_FETCHES)


def faststream_security(access: KafkaAccess) -> BaseSecurity | None:
    """The same principal in FastStream's terms."""
    if not access.authenticated:
        return None
    kinds = {"SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512,
             "PLAIN": SASLPlaintext}
    return kinds[access.sasl_mechanism](access.username or "", access.password or "")


def broker(access: KafkaAccess, **options: Any) -> KafkaBroker:
    """A FastStream broker (the ingress subscriber, the benchmarks' baseline). It creates no
    topics: deploy/check.py does, and the services' principals may not."""
    # a list: FastStream reads a string as one host, so "h1:p1,h2:p2" must be split
    return KafkaBroker(access.bootstrap.split(","), security=faststream_security(access),
                       allow_auto_create_topics=False, **options)


@lru_cache(maxsize=1 << 16)
def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` among ``partitions`` (Java's
    murmur2 formula, as aiokafka computes it)."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


def target_partitions(key: bytes, partitions: Sequence[int]) -> Sequence[int]:
    """Where a record with ``key`` (the encoded subject id) is written among the topic's
    ``partitions`` (sorted ids): all of them for a broadcast, else the one its key hashes to."""
    if key == _BROADCAST:
        return partitions
    return (partitions[partition_for(key, len(partitions))],)
