"""How intake answers ingress records, without Kafka: the outcome of each kind of result,
the offsets a batch commits, and the refusals of tokens before any command runs."""

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition

from services.intake.adapters.ingress_answers import next_offsets
from services.intake.domain.errors import Rejected
from services.intake.entrypoints.ingress import answers
from shared.auth import Principal, issue_token
from shared.settings import AuthSettings
from shared.tokens import TokenVerifier

pytestmark = pytest.mark.unit

SETTINGS = AuthSettings(secret="unit-test-secret-" + "u" * 40)
KEPT = str(uuid.uuid4())
E1, E2 = str(uuid.uuid4()), str(uuid.uuid4())


def record(value: Any, offset: int, bearer: str | None, partition: int = 0,
           correlation: str | None = None) -> "ConsumerRecord[bytes, bytes]":
    headers = [("Authorization", f"Bearer {bearer}".encode())] if bearer else []
    if correlation:
        headers.append(("correlation_id", correlation.encode()))
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return ConsumerRecord(topic="in", partition=partition, offset=offset, timestamp=0,
                          timestamp_type=0, key=b"k", value=raw, checksum=None,
                          serialized_key_size=1, serialized_value_size=len(raw),
                          headers=headers)


def body(**changes: Any) -> dict[str, Any]:
    return {"activity_id": str(uuid.uuid4()), "nip": "199001012015032001",
            "work_date": "2026-12-01", "minutes": 45, "description": "STNK", **changes}


def token(role: str) -> str:
    return issue_token(SETTINGS, Principal("esamsat", role), timedelta(minutes=5))  # type: ignore[arg-type]


async def test_every_record_gets_its_outcome_in_order() -> None:
    executed: list[tuple[Principal, int]] = []
    accepted, duplicate, refused = body(), body(external_ref="TX-1"), body(minutes=5)

    async def execute(principal: Principal, commands: list[Any]) -> list[Any]:
        executed.append((principal, len(commands)))
        return [{"activity_id": str(accepted["activity_id"]), "event_id": E1},
                {"activity_id": KEPT, "event_id": E2},
                Rejected("minutes_out_of_bounds", "minutes must be 10..480", "minutes")]

    async def positions(event_ids: Any) -> dict[str, int]:
        assert list(event_ids) == [E1, E2]
        return {E1: 7, E2: 3}

    e_service = token("eservice")
    records = [record(accepted, 0, e_service, correlation="c-0"),
               record(duplicate, 1, e_service), record(refused, 2, e_service),
               record(body(), 3, token("employee")), record(b"{", 4, e_service),
               record(body(), 5, None), record(body(), 6, "garbage")]
    found = [a.outcome for a in await answers(execute, TokenVerifier(SETTINGS), positions,
                                              records)]
    assert executed == [(Principal("esamsat", "eservice"), 3)]  # the checked ones, once
    assert [(o.status, o.code, o.http_status) for o in found] == [
        ("accepted", None, None), ("duplicate", None, None),
        ("rejected", "minutes_out_of_bounds", 422), ("rejected", "role_not_allowed", 403),
        ("rejected", "malformed_json", 400), ("rejected", "unauthenticated", 401),
        ("rejected", "invalid_token", 401)]
    assert (str(found[0].kept_activity_id), found[0].position, found[0].correlation_id) == (
        accepted["activity_id"], 7, "c-0")
    assert (str(found[1].activity_id), str(found[1].kept_activity_id), found[1].position,
            found[1].external_ref) == (duplicate["activity_id"], KEPT, 3, "TX-1")
    assert [o.source_offset for o in found] == list(range(7))
    assert found[3].message == "role 'employee' may not do this (allowed: eservice)"
    assert found[5].message == "send 'authorization: Bearer <token>'"
    assert found[6].message == "malformed token"
    assert found[2].kept_activity_id is None and found[2].position is None


def test_a_batch_commits_the_offset_after_its_last_record_per_partition() -> None:
    records = [record(body(), 4, None, 0), record(body(), 9, None, 1),
               record(body(), 5, None, 0), record(body(), 10, None, 1)]
    assert next_offsets(records) == {TopicPartition("in", 0): 6, TopicPartition("in", 1): 11}
