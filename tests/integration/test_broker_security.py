"""The stack's broker lets in only who authenticates, and each principal only what
shared/broker_acls.py gives it (issue 10, part 4). Refusals are tried on the system's own
topics (a refused write writes nothing); what a principal may do is tried with the same
rules applied to fresh topics of the test's own, so nothing is written into the stack's
history."""

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from shared import kafka, topics
from shared.broker_acls import Names, service_acls
from shared.kafka_access import KafkaAccess
from shared.kafka_acls import create_acls, delete_acls
from shared.settings import KafkaSettings
from tests.support.kafka import principal

ADMIN = KafkaSettings().access()


def test_the_stack_s_broker_authenticates() -> None:
    """Everything below runs against the SASL listener `deploy/stack up` makes."""
    assert ADMIN.authenticated and ADMIN.username == "admin"


async def _write(access: KafkaAccess, topic: str, streaming: bool = False) -> int:
    """Write one record with the producer the services use; its offset."""
    producer = kafka.streaming_producer(access) if streaming else kafka.producer(access)
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, b"probe", key=b"199001012020121001")
        return int(meta.offset)
    finally:
        await producer.stop()


async def _read(access: KafkaAccess, topic: str, group: str | None = None) -> list[bytes]:
    """The records of partition 0 (without a group) or of the topic (in ``group``)."""
    consumer = kafka.consumer(access, group)
    await consumer.start()
    try:
        if group is None:
            consumer.assign([TopicPartition(topic, 0)])
        else:
            consumer.subscribe([topic])
        values: list[bytes] = []
        for _ in range(20):
            fetched = await consumer.getmany(timeout_ms=500)
            values += [m.value or b"" for batch in fetched.values() for m in batch]
            if values:
                break
        return values
    finally:
        await consumer.stop()


async def test_a_client_without_credentials_is_refused() -> None:
    with pytest.raises(KafkaConnectionError):
        await _write(KafkaAccess(ADMIN.bootstrap), topics.INGRESS_ACTIVITIES)


async def test_a_wrong_password_is_refused() -> None:
    with pytest.raises(KafkaConnectionError):
        await _write(ADMIN.as_user("eservice", "not-the-password"), topics.INGRESS_ACTIVITIES)


async def _describe(access: KafkaAccess, topic: str) -> int:
    """The error code the broker answers a principal's metadata request for ``topic``."""
    admin = kafka.admin(access)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        return int(described["error_code"])
    finally:
        await admin.close()


async def test_an_e_service_can_neither_write_nor_read_the_events_topic() -> None:
    eservice = principal(ADMIN, "eservice")
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(eservice, topics.EVENTS, streaming=True)
    # not even DESCRIBE, which READ implies: the broker does not tell it the topic exists
    assert await _describe(eservice, topics.EVENTS) == TopicAuthorizationFailedError.errno
    assert await _describe(principal(ADMIN, "appraisal"), topics.EVENTS) == 0


async def test_appraisal_cannot_write_the_events_topic() -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(principal(ADMIN, "appraisal"), topics.EVENTS)


@pytest.fixture
async def granted(create_topic) -> AsyncIterator[Names]:  # type: ignore[no-untyped-def]
    """The system's rules on fresh topics and groups; removed again afterwards."""
    suffix = uuid.uuid4().hex[:8]
    names = Names(events=await create_topic("events", 1), events_dlq=await create_topic("dlq", 1),
                  checkpoints=await create_topic("cps", 1), ingress=await create_topic("in", 1),
                  outcomes=await create_topic("out", 1), rejected=await create_topic("rej", 1),
                  ingress_group=f"erk-test-ingress-{suffix}",
                  appraisal_group=f"erk-test-appraisal-{suffix}")
    await create_acls(ADMIN, service_acls(names))
    try:
        yield names
    finally:
        await delete_acls(ADMIN, service_acls(names))


async def test_intake_s_relay_writes_the_events_and_appraisal_reads_them(granted: Names) -> None:
    assert await _write(principal(ADMIN, "intake"), granted.events, streaming=True) == 0
    appraisal = principal(ADMIN, "appraisal")
    assert await _read(appraisal, granted.events, granted.appraisal_group) == [b"probe"]
    assert await _write(appraisal, granted.events_dlq) == 0  # its dead letters
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(appraisal, granted.events)
    with pytest.raises(GroupAuthorizationFailedError):  # another's group
        await _read(appraisal, granted.events, granted.ingress_group)


async def test_an_e_service_writes_the_ingress_and_reads_only_its_answers(
        granted: Names) -> None:
    eservice = principal(ADMIN, "eservice")
    assert await _write(eservice, granted.ingress, streaming=True) == 0
    for forged_answer in (granted.outcomes, granted.rejected, granted.checkpoints):
        with pytest.raises(TopicAuthorizationFailedError):
            await _write(eservice, forged_answer)
    assert await _write(principal(ADMIN, "intake"), granted.outcomes) == 0
    assert await _read(eservice, granted.outcomes, f"erk-eservice-{uuid.uuid4().hex[:6]}") == [
        b"probe"]
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(eservice, granted.ingress)  # other e-services' commands
