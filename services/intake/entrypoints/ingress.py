"""Kafka ingress for e-services: activity commands in, refusals out to the rejection topic.

Each record carries a ReportActivity body (JSON) and the e-service's bearer token in an
``authorization`` header, exactly as over HTTP. A batch is executed per principal in one
transaction; offsets are committed only after that transaction and the refusals are
durable, so a crash re-delivers records, and idempotency answers them the same way.
"""

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError

from services.intake.domain.commands import ReportActivity
from services.intake.domain.errors import Rejected
from shared.auth import AuthError, Principal
from shared.input_errors import describe
from shared.settings import KafkaSettings
from shared.tokens import TokenVerifier

log = logging.getLogger(__name__)

Execute = Callable[[Principal, list[Any]], Awaitable[list[dict[str, Any] | Rejected]]]


@dataclass(frozen=True)
class Refusal:
    record: "ConsumerRecord[bytes, bytes]"
    code: str
    message: str


def _header(record: "ConsumerRecord[bytes, bytes]", name: str) -> str | None:
    for key, value in record.headers or ():
        if key.lower() == name:
            return bytes(value).decode(errors="replace")
    return None


async def _principal(tokens: TokenVerifier, record: "ConsumerRecord[bytes, bytes]") -> (
    Principal
):
    scheme, _, token = (_header(record, "authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("missing 'authorization: Bearer <token>' header")
    principal = await tokens.averify(token.strip())
    if principal.role != "eservice":
        raise AuthError(f"role {principal.role!r} may not use the e-service ingress")
    return principal


async def ingest(
    execute: Execute, tokens: TokenVerifier, records: Sequence["ConsumerRecord[bytes, bytes]"]
) -> list[Refusal]:
    """Execute the records' commands; return the records refused, with the reason."""
    refusals: list[Refusal] = []
    groups: dict[Principal, list[tuple[Any, ReportActivity]]] = defaultdict(list)
    for record in records:
        try:
            principal = await _principal(tokens, record)
            command = ReportActivity.model_validate_json(record.value or b"")
        except AuthError as exc:
            refusals.append(Refusal(record, "unauthenticated", str(exc)))
            continue
        except ValidationError as exc:
            problem = describe(exc.errors()[0])
            refusals.append(Refusal(record, problem.code, problem.message))
            continue
        groups[principal].append((record, command))
    for principal, items in groups.items():
        results = await execute(principal, [command for _, command in items])
        for (record, _), result in zip(items, results, strict=True):
            if isinstance(result, Rejected):
                refusals.append(Refusal(record, result.code, result.message))
    return refusals


def register_ingress(broker: KafkaBroker, kafka: KafkaSettings, tokens: TokenVerifier,
                     execute: Execute, group: str) -> None:
    """Subscribe the ingress topic on ``broker``; refusals go to the rejection topic."""

    @broker.subscriber(kafka.ingress_topic, group_id=group, batch=True, max_records=1000,
                       batch_timeout_ms=50, auto_offset_reset="earliest",
                       ack_policy=AckPolicy.NACK_ON_ERROR)
    async def on_ingress(message: KafkaMessage) -> None:
        raw = message.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        for refusal in await ingest(execute, tokens, records):
            record = refusal.record
            await broker.publish(
                record.value, kafka.rejected_topic, key=record.key,
                headers={"code": refusal.code, "reason": refusal.message,
                         "source_topic": record.topic,
                         "source_partition": str(record.partition),
                         "source_offset": str(record.offset)},
            )
            log.info("ingress record refused: %s (%s/%d/%d)", refusal.code, record.topic,
                     record.partition, record.offset)
