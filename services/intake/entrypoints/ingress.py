"""Kafka ingress for e-services: activity and attendance commands in, one outcome per
record out.

The record format is the contract in ``shared.ingress`` (and the AsyncAPI document): a
ReportActivity body as JSON (a RecordAttendance body on the attendance topic, checked as
``POST /v1/attendance``), the e-service's token in an ``authorization: Bearer`` header,
an optional ``correlation_id`` header, any key. Each record is checked as HTTP checks
``POST /v1/activities`` and refused with the same code: the token (401 ``unauthenticated``
/ ``invalid_token``), the body (400 / 422), then the role: only ``eservice`` tokens may use
the ingress (403 ``role_not_allowed``), then the rules.

A batch is executed per principal in the store's transaction; then its outcomes, the
refused records' copies and the group's offsets are committed in one Kafka transaction
(``adapters.ingress_answers``). A failure before that rewinds the batch: it is read again,
and idempotency answers it the same way.
"""

import asyncio
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

from services.intake.domain.checks import require
from services.intake.domain.commands import Command, RecordAttendance, ReportActivity
from services.intake.domain.errors import Rejected
from shared.auth import AuthError, Principal, ProviderUnavailable
from shared.authority import Action
from shared.ingress import AUTHORIZATION, CORRELATION, Answer, IngressOutcome
from shared.input_errors import describe
from shared.settings import KafkaSettings
from shared.tokens import TokenVerifier

log = logging.getLogger(__name__)

RETRY_PAUSE_S = 1.0
"""Pause before a batch that failed (the database, the broker) is read again."""

Execute = Callable[[Principal, list[Any]], Awaitable[list[dict[str, Any] | Rejected]]]
Positions = Callable[[Sequence[str]], Awaitable[dict[str, int]]]
"""The store positions of events, by event id."""
Result = dict[str, Any] | Rejected
Publish = Callable[[Sequence[Answer]], Awaitable[None]]
"""Publishes a batch's answers with the batch's offsets, all or nothing."""


def _header(record: "ConsumerRecord[bytes, bytes]", name: str) -> str | None:
    for key, value in record.headers or ():
        if key.lower() == name:
            return bytes(value).decode(errors="replace")
    return None


async def _principal(tokens: TokenVerifier, record: "ConsumerRecord[bytes, bytes]") -> (
    Principal
):
    """The record's principal, refused with the codes and statuses of HTTP."""
    scheme, _, token = (_header(record, AUTHORIZATION) or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Rejected("unauthenticated", "send 'authorization: Bearer <token>'", None, 401)
    try:
        return await tokens.averify(token.strip())
    except ProviderUnavailable as exc:
        raise Rejected("identity_provider_unavailable", str(exc), None, 503) from exc
    except AuthError as exc:  # our words (shared.auth), never a library's
        raise Rejected("invalid_token", str(exc), None, 401) from exc


@dataclass(frozen=True)
class Kind:
    """What records of one ingress topic carry, and the action their sender needs."""

    model: type[Command]
    action: Action


ACTIVITY = Kind(ReportActivity, "report_for_source")
ATTENDANCE = Kind(RecordAttendance, "record_attendance")


def _kind(record: "ConsumerRecord[bytes, bytes]", attendance_topic: str | None) -> Kind:
    return ATTENDANCE if record.topic == attendance_topic else ACTIVITY


def _command(record: "ConsumerRecord[bytes, bytes]", kind: Kind) -> Command:
    try:
        return kind.model.model_validate_json(record.value or b"")
    except ValidationError as exc:
        problem = describe(exc.errors()[0])
        raise Rejected(problem.code, problem.message, problem.field, problem.status) from exc


def _readable(record: "ConsumerRecord[bytes, bytes]", kind: Kind) -> Command | None:
    try:
        return _command(record, kind)
    except Rejected:
        return None


async def decide(execute: Execute, tokens: TokenVerifier,
                 records: Sequence["ConsumerRecord[bytes, bytes]"],
                 attendance_topic: str | None = None) -> list[tuple[Command | None, Result]]:
    """Each record's command (None if unreadable) and its answer or refusal, in order."""
    decided: list[tuple[Command | None, Result] | None] = [None] * len(records)
    groups: dict[Principal, list[tuple[int, Command]]] = defaultdict(list)
    for index, record in enumerate(records):
        command = None
        kind = _kind(record, attendance_topic)
        try:
            principal = await _principal(tokens, record)
            command = _command(record, kind)
            require(principal, kind.action)  # the ingress is the e-services' door
        except Rejected as refused:  # the outcome still names the record's activity
            decided[index] = (command or _readable(record, kind), refused)
            continue
        groups[principal].append((index, command))
    for principal, items in groups.items():
        results = await execute(principal, [command for _, command in items])
        for (index, command), result in zip(items, results, strict=True):
            decided[index] = (command, result)
    return [item for item in decided if item is not None]


def _names(command: Command | None) -> dict[str, Any]:
    """What the outcome repeats of the record's command."""
    if isinstance(command, RecordAttendance):
        return {"activity_id": None, "device_record_id": command.device_record_id}
    if isinstance(command, ReportActivity):
        return {"activity_id": command.activity_id, "external_ref": command.external_ref}
    return {"activity_id": None}


def outcome(record: "ConsumerRecord[bytes, bytes]", command: Command | None,
            result: Result, positions: dict[str, int]) -> IngressOutcome:
    """The outcome message of one record."""
    common: dict[str, Any] = {
        **_names(command), "source_topic": record.topic, "source_partition": record.partition,
        "source_offset": record.offset, "correlation_id": _header(record, CORRELATION)}
    if isinstance(result, Rejected):
        return IngressOutcome(status="rejected", code=result.code,
                              http_status=result.status, message=result.message, **common)
    if isinstance(command, RecordAttendance):
        return IngressOutcome(status=result["status"], event_id=result["event_id"],
                              position=positions.get(result["event_id"]), **common)
    assert isinstance(command, ReportActivity)  # an answer is for a command
    kept = result["activity_id"]
    return IngressOutcome(
        status="accepted" if kept == str(command.activity_id) else "duplicate",
        kept_activity_id=kept, event_id=result["event_id"],
        position=positions.get(result["event_id"]), **common)


async def answers(execute: Execute, tokens: TokenVerifier, positions: Positions,
                  records: Sequence["ConsumerRecord[bytes, bytes]"],
                  attendance_topic: str | None = None) -> list[Answer]:
    """Execute the records' commands; every record's outcome, in order. Records of
    ``attendance_topic`` carry attendance, the others activities."""
    decided = await decide(execute, tokens, records, attendance_topic)
    found = await positions([result["event_id"] for _, result in decided
                             if not isinstance(result, Rejected)])
    return [Answer(record, outcome(record, command, result, found))
            for record, (command, result) in zip(records, decided, strict=True)]


def register_ingress(broker: KafkaBroker, kafka: KafkaSettings, tokens: TokenVerifier,
                     execute: Execute, positions: Positions, publish: Publish,
                     group: str) -> None:
    """Subscribe the ingress topics (activities, attendance) on ``broker``; each batch's
    answers go to ``publish``."""

    # MANUAL: the offsets are committed only in the answers' Kafka transaction
    @broker.subscriber(kafka.ingress_topic, kafka.attendance_topic, group_id=group,
                       batch=True, max_records=1000, batch_timeout_ms=50,
                       auto_offset_reset="earliest", ack_policy=AckPolicy.MANUAL)
    async def on_ingress(message: KafkaMessage) -> None:
        raw = message.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        try:
            answered = await answers(execute, tokens, positions, records,
                                     kafka.attendance_topic)
            await publish(answered)
        except Exception:
            await message.nack()  # rewind: the batch is read again, after a pause, so a
            await asyncio.sleep(RETRY_PAUSE_S)  # database or broker that fails is not hammered
            raise
        for answer in answered:
            if answer.outcome.status == "rejected":
                log.info("ingress record refused: %s (%s/%d/%d)", answer.outcome.code,
                         answer.record.topic, answer.record.partition, answer.record.offset)
