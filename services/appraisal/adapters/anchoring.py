"""Reads what ``shared.anchoring.verify_anchored`` checks: the store's chain recomputed from
genesis (the hash at every checkpointed position, the log id, a digest per event), the
stored checkpoints, and the Kafka copies (checkpoints topic, events topic)."""

import hashlib
from collections import deque
from pathlib import Path
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select

from services.appraisal.adapters.kafka_copy import (
    StoreDigests,
    compare_events,
    content_digest,
    partition_ids,
    read_topic,
)
from services.appraisal.audit_settings import AuditSettings
from shared import checkpoints as cps
from shared.anchoring import AnchorFinding, AnchorReport, ChainFacts, verify_anchored
from shared.chain import GENESIS_HASH
from shared.checkpoint_store import stored_checkpoints
from shared.codec import canonical_bytes
from shared.history import EventHistory, events
from shared.kafka_access import KafkaAccess
from shared.settings import KafkaSettings
from shared.signing import KeyFileError, load_public_key

TAIL = 20
"""How many of the last events are named one by one when unanchored."""


async def audit_anchoring(store_url: str, access: KafkaAccess, events_topic: str,
                          checkpoints_topic: str | None = None,
                          public_key_file: Path | None = None) -> AnchorReport:
    """The anchoring audit of the store at ``store_url`` (topic and key default to the
    configured ``ERK_KAFKA_CHECKPOINTS_TOPIC`` and ``APPRAISAL_CHECKPOINT_PUBLIC_KEY_FILE``)."""
    checkpoints_topic = checkpoints_topic or KafkaSettings().checkpoints_topic
    public_key, problems = _public_key(public_key_file or AuditSettings().public_key_file)
    async with EventHistory(store_url) as history:
        stored = await stored_checkpoints(history.engine)
        on_kafka = await read_checkpoints(access, checkpoints_topic, problems)
        facts, digests = await scan_store(history, {cp.position for cp in [*stored, *on_kafka]})
        problems += await compare_events(history, access, events_topic, facts.head, digests)
    return verify_anchored(facts, stored, on_kafka, public_key, problems)


def _public_key(path: Path | None) -> tuple[Ed25519PublicKey | None, list[AnchorFinding]]:
    if path is None:
        return None, []
    try:
        return load_public_key(path), []
    except (KeyFileError, ValueError) as exc:
        return None, [AnchorFinding("public_key_unreadable", None, None, str(exc))]


async def read_checkpoints(access: KafkaAccess, topic: str,
                           problems: list[AnchorFinding]) -> list[cps.SignedCheckpoint]:
    """Every checkpoint on the topic (none when it does not exist); a record that is no
    checkpoint is a finding."""
    partitions = await partition_ids(access, topic)
    found: list[cps.SignedCheckpoint] = []
    if partitions is None:
        return found
    async for record in read_topic(access, topic, partitions):
        try:
            found.append(cps.decode(record.value or b""))
        except ValueError as exc:
            problems.append(AnchorFinding(
                "checkpoint_unreadable", None, None,
                f"{topic} partition {record.partition} offset {record.offset}: {exc}"))
    return found


async def scan_store(history: EventHistory,
                     positions: set[int]) -> tuple[ChainFacts, StoreDigests]:
    """One pass over the store: the chain recomputed from genesis (as ``shared.chain``
    does, ignoring the stored hashes), its value at ``positions``, a digest per event."""
    async with history.engine.connect() as conn:
        count, head = (await conn.execute(select(
            func.count(), func.coalesce(func.max(events.c.position), 0)))).one()
    digests = StoreDigests(int(count))
    at: dict[int, tuple[UUID, bytes]] = {}
    tail: deque[tuple[int, UUID]] = deque(maxlen=TAIL)
    chain, log_id = GENESIS_HASH, None
    async for row in history.rows(0, int(head)):
        tail.append((row.position, row.event_id))
        if row.envelope is None:  # unreadable: verify_chain names it; the chain breaks here
            chain = hashlib.sha256(b"unreadable" + chain).digest()
            continue
        canonical = canonical_bytes(row.envelope)
        chain = hashlib.sha256(chain + canonical).digest()
        digests.put(row.position, content_digest(canonical))
        if row.position == 1:
            log_id = chain
        if row.position in positions:
            at[row.position] = (row.event_id, chain)
    facts = ChainFacts(int(head), int(count), log_id, at, tuple(tail))
    return facts, digests
