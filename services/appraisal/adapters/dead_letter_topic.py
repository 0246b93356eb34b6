"""The dead-letter topic: each dead letter's original bytes and key, with headers that say
why and where it came from. Published before the batch commits, so a crash can repeat a
dead letter but never lose one."""

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from services.appraisal.domain.records import DeadLetter
from shared import kafka
from shared.kafka_access import KafkaAccess

log = logging.getLogger(__name__)


async def _publish(producer: AIOKafkaProducer, dlq_topic: str,
                               letters: Sequence[DeadLetter]) -> None:
    """Send every dead letter and wait for every acknowledgement."""
    futures = []
    for letter in letters:
        record = letter.record
        headers = [("reason", letter.reason.encode()), ("code", letter.code.encode()),
                   ("source_topic", record.topic.encode()),
                   ("source_partition", str(record.partition).encode()),
                   ("source_offset", str(record.offset).encode()),
                   ("dead_letter_id", str(letter.id or "").encode())]
        futures.append(await producer.send(dlq_topic, record.raw(), key=record.key,
                                           headers=headers))
        # ids only: the reason is in the dead-letter table and header, not in the log
        log.warning("dead letter %s at %s/%d/%d", letter.code, record.topic,
                    record.partition, record.offset)
    await asyncio.gather(*futures)


class DeadLetterTopic:
    """A dead-letter publisher whose producer starts on first use (idempotent, acks=all)."""

    def __init__(self, access: KafkaAccess, topic: str) -> None:
        self._access, self.topic = access, topic
        self._producer: AIOKafkaProducer | None = None

    async def publish(self, letters: Sequence[DeadLetter]) -> None:
        if self._producer is None:
            producer = kafka.producer(self._access)
            await producer.start()
            self._producer = producer
        await _publish(self._producer, self.topic, letters)

    async def close(self) -> None:
        """Stop the producer (after a failure too: an idempotent producer may be wedged,
        the next publish starts a fresh one)."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception:  # already recovering from an error
                log.debug("dead-letter producer stop failed", exc_info=True)
