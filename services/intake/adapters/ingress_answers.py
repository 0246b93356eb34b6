"""Intake's answers to the e-service ingress, in one Kafka transaction with the offsets.

For a batch of ingress records, every outcome (``erk.ingress.outcomes.v1``), every refused
record's copy on the rejection topic, and the consumer group's next offsets are written in
one Kafka transaction: a reader with ``isolation_level=read_committed`` sees a batch's
answers exactly when its offsets are committed, never twice. The commands themselves were
committed to PostgreSQL before, and a re-delivered record (a crash between the two
commits) is answered the same way by the store's idempotency, so it gets the same outcome.
"""

import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.ingress import CORRELATION, Answer, OutcomeHeaders, RejectionHeaders
from shared.kafka import producer
from shared.kafka_access import KafkaAccess

TRANSACTION_TIMEOUT_MS = 20_000
"""How long the broker waits for a transaction of a process that died before aborting it;
until then read_committed readers of the answers wait too, so it is short."""


def next_offsets(records: Sequence["ConsumerRecord[bytes, bytes]"]) -> dict[
    TopicPartition, int
]:
    """Per partition, the offset after the last record: what the group commits."""
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        partition = TopicPartition(record.topic, record.partition)
        offsets[partition] = max(offsets.get(partition, 0), record.offset + 1)
    return offsets


def _headers(values: dict[str, str | None]) -> list[tuple[str, bytes]]:
    return [(name, value.encode()) for name, value in values.items() if value is not None]


def rejection_headers(answer: Answer) -> list[tuple[str, bytes]]:
    outcome = answer.outcome
    headers = RejectionHeaders(
        code=outcome.code or "", status=str(outcome.http_status), reason=outcome.message or "",
        source_topic=outcome.source_topic, source_partition=str(outcome.source_partition),
        source_offset=str(outcome.source_offset), correlation_id=outcome.correlation_id)
    return _headers(headers.model_dump())


def outcome_headers(answer: Answer) -> list[tuple[str, bytes]]:
    headers = OutcomeHeaders(status=answer.outcome.status,
                             correlation_id=answer.outcome.correlation_id)
    return _headers({"status": headers.status, CORRELATION: headers.correlation_id})


class IngressAnswers:
    """A transactional producer for the answers; one per consuming process (its
    transactional id is unique, so two intakes never fence each other)."""

    def __init__(self, access: KafkaAccess, outcomes_topic: str, rejected_topic: str,
                 group: str) -> None:
        self._access, self._group = access, group
        self._outcomes, self._rejected = outcomes_topic, rejected_topic
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Made here, inside the running event loop (aiokafka's rule)."""
        self._producer = producer(
            self._access, transactional_id=f"{self._group}-{uuid.uuid4().hex}",
            transaction_timeout_ms=TRANSACTION_TIMEOUT_MS)
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def publish(self, answers: Sequence[Answer]) -> None:
        """Write the answers and commit the records' offsets, all or nothing."""
        producer = self._producer
        assert producer is not None, "IngressAnswers.start() was not awaited"
        async with producer.transaction():
            for answer in answers:
                record = answer.record
                value = answer.outcome.model_dump_json().encode()
                await producer.send(self._outcomes, value, key=record.key,
                                          headers=outcome_headers(answer))
                if answer.outcome.status == "rejected":
                    await producer.send(self._rejected, record.value, key=record.key,
                                              headers=rejection_headers(answer))
            await producer.send_offsets_to_transaction(
                next_offsets([answer.record for answer in answers]), self._group)
