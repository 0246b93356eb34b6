"""Resolving dead letters: an operator retries one (decode it again with the code now
deployed, say after an upcaster shipped, and apply it) or skips it (gives it up). Either way
the partition's parked records that are no longer held are applied, in offset order
(``domain.triage.release``); one that still fails to decode becomes a dead letter of its own.
All in one transaction that also locks the partition's consumer position, so it serialises
with the consumer, and running it twice changes nothing."""

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.appraisal.adapters import dead_letters, held_keys, positions
from services.appraisal.adapters.dead_letter_topic import DeadLetterTopic
from services.appraisal.domain.records import (
    NOT_THE_KEYS_OWN,
    Applied,
    DeadLetter,
    DeadLetterSink,
    decode,
)
from services.appraisal.domain.triage import release
from services.appraisal.projections.registry import Registry
from services.appraisal.service_layer.projecting import project
from shared.db import make_engine
from shared.settings import KafkaSettings

Action = Literal["retry", "skip"]
DONE = {"retry": "retried", "skip": "skipped"}
"""The status each action leaves a dead letter in."""


class DeadLetterNotFound(LookupError):
    pass


@dataclass
class Resolution:
    dead_letter_id: int
    status: str
    """The dead letter's status afterwards: open (retry failed), retried or skipped."""
    changed: bool
    """False when nothing happened (already resolved: idempotent, or still undecodable)."""
    message: str
    released: int = 0
    """Parked records applied."""
    still_parked: int = 0
    new_dead_letters: list[DeadLetter] = field(default_factory=list)


async def resolve_in(conn: AsyncConnection, dead_letter_id: int, action: Action,
                     actor: str, registry: Registry) -> Resolution:
    """Retry or skip one dead letter, then release the parked records no longer held."""
    letter = await dead_letters.find(conn, dead_letter_id)
    if letter is None:
        raise DeadLetterNotFound(f"no dead letter {dead_letter_id}")
    source = letter.record
    await positions.lock(conn, source.topic, [source.partition])  # serialise with the consumer
    letter = await dead_letters.find(conn, dead_letter_id, lock=True)  # re-read under the lock
    assert letter is not None
    if letter.status != "open":
        same = DONE[action] == letter.status
        return Resolution(dead_letter_id, letter.status, False,
                          f"already {letter.status}" + ("" if same else f"; cannot {action}"))
    retried: Applied | None = None
    if action == "retry" and letter.code in NOT_THE_KEYS_OWN:
        return Resolution(dead_letter_id, "open", False,
                          f"cannot retry a {letter.code} record: it is not the relay's "
                          "event there; skip it")
    if action == "retry":
        envelope, event, error = decode(source)
        if error is not None or envelope is None or event is None:
            assert error is not None
            await dead_letters.still_undecodable(conn, dead_letter_id, error)
            return Resolution(dead_letter_id, "open", False,
                              f"still undecodable ({error.code}): {error}")
        retried = (envelope, event, source.partition)
    await dead_letters.resolve(conn, dead_letter_id, DONE[action], actor)
    resolution = Resolution(dead_letter_id, DONE[action], True, DONE[action])
    await _release(conn, letter, retried, resolution, registry)
    return resolution


async def _release(conn: AsyncConnection, letter: DeadLetter, retried: Applied | None,
                   resolution: Resolution, registry: Registry) -> None:
    topic, partition = letter.record.topic, letter.record.partition
    freed = release(partition, await dead_letters.open_on(conn, topic, partition),
                    await held_keys.parked_on(conn, topic, partition),
                    (letter.record.offset, retried) if retried is not None else None)
    await held_keys.unpark(conn, topic, partition, freed.released_offsets)
    await dead_letters.record(conn, freed.dead_letters)
    await project(conn, freed.applied, registry)
    resolution.released = len(freed.applied) - (1 if retried is not None else 0)
    resolution.still_parked = freed.still_parked
    resolution.new_dead_letters = freed.dead_letters
    resolution.message = (f"{resolution.status}; {resolution.released} parked record(s) "
                          f"applied, {resolution.still_parked} still held")


async def list_dead_letters(url: str, status: str, limit: int) -> list[dict[str, Any]]:
    """Dead letters (``status``: open, retried, skipped or all) with how many records each
    holds back, and which of those would fail to decode too (``failing``: their offsets),
    so one look tells how many skips or retries the key needs."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            letters = await dead_letters.listed(conn, None if status == "all" else status,
                                                limit)
            parked = await held_keys.parked_by_key(conn)
            for letter in letters:
                where = letter["topic"], letter["partition"], letter["key"]
                holds = letter["code"] not in NOT_THE_KEYS_OWN  # else others' parked records
                letter["parked"] = parked.get(where, 0) if holds else 0
                letter["failing"] = await _failing_behind(conn, letter, letter["parked"])
    finally:
        await engine.dispose()
    return letters


async def _failing_behind(conn: AsyncConnection, letter: dict[str, Any],
                          parked: int) -> list[int]:
    """Offsets of the records parked behind an open letter's key that do not decode."""
    if letter["status"] != "open" or not parked:
        return []
    behind = await held_keys.parked_of(conn, letter["topic"], letter["partition"],
                                       letter["key"])
    return [item.record.offset for item in behind if decode(item.record)[2] is not None]


async def resolve_with(engine: AsyncEngine, dead_letter_id: int, action: Action, actor: str,
                       registry: Registry,
                       on_dead_letters: DeadLetterSink | None = None) -> Resolution:
    """:func:`resolve_in` in a transaction of its own; a released record that still fails
    to decode becomes a new dead letter, given to ``on_dead_letters`` before the commit, as
    the consumer does."""
    async with engine.begin() as conn:
        result = await resolve_in(conn, dead_letter_id, action, actor, registry)
        if result.new_dead_letters and on_dead_letters is not None:
            await on_dead_letters(result.new_dead_letters)
        return result


async def resolve(url: str, dead_letter_id: int, action: Action, actor: str,
                  kafka: KafkaSettings, registry: Registry) -> Resolution:
    """Retry or skip on the database at ``url``, new dead letters to the dead-letter topic."""
    engine, topic = make_engine(url), DeadLetterTopic(kafka.access(), kafka.dlq_topic)
    try:
        return await resolve_with(engine, dead_letter_id, action, actor, registry,
                                  topic.publish)
    finally:
        await topic.close()
        await engine.dispose()
