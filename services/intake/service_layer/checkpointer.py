"""Signs checkpoints of the chain head and publishes them (``shared.checkpoints``).

Every ``interval_s`` while events arrive, and as soon as ``every_events`` events are
unanchored, the checkpointer:

1. verifies the chain from the last checkpoint it signed to the current head (every link
   and every hash), so it never signs over a broken chain — immudb's client does the same
   between two states it trusts;
2. signs the head (position, hash, time, key id) with the key outside the database and
   stores the checkpoint (one per position; several intake processes serialise on an
   advisory lock);
3. publishes every stored checkpoint Kafka has not confirmed yet to the checkpoints topic
   (the confirmed position is kept like the relay's, in ``relay_checkpoint``).

A failed round (database or broker away, a broken chain) restarts the loop after an
exponential back-off; a chain that does not verify is logged as an error on every attempt.
"""

import asyncio
import logging
from datetime import datetime, timedelta

from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception_type, wait_exponential

from services.intake.service_layer.ports import CheckpointLog, CheckpointPublisher, OpenPublisher
from shared import checkpoints as cps
from shared.chain import chain_hash
from shared.clock import Clock
from shared.history import StoredRow
from shared.signing import Signer

log = logging.getLogger(__name__)

PUBLISH_ON_STOP_S = 5.0
"""How long a stopping checkpointer tries to publish what it stored."""


class ChainBroken(Exception):
    """The stored chain does not continue the last signed checkpoint: nothing is signed."""


class Checkpointer:
    def __init__(self, stored: CheckpointLog, signer: Signer, clock: Clock,
                 open_publisher: OpenPublisher, interval_s: float = 60.0,
                 every_events: int = 10_000) -> None:
        self._log = stored
        self._signer = signer
        self._clock = clock
        self._open_publisher = open_publisher
        self._interval = timedelta(seconds=interval_s)
        self._every_events = every_events
        self._poll_s = min(1.0, interval_s)
        self.signed_position = 0
        self.published_position = 0

    async def run(self) -> None:
        """Checkpoint forever (until cancelled), supervised: restarted with back-off."""
        async for attempt in AsyncRetrying(
                wait=wait_exponential(multiplier=1, max=60),
                retry=retry_if_exception_type(Exception),
                before_sleep=before_sleep_log(log, logging.WARNING)):
            with attempt:
                async with self._open_publisher() as publisher:
                    try:
                        while True:
                            await self.round(publisher)
                            await asyncio.sleep(self._poll_s)
                    finally:
                        await self._publish_on_the_way_out(publisher)

    async def _publish_on_the_way_out(self, publisher: CheckpointPublisher) -> None:
        """A stop can come between storing a checkpoint and publishing it: publish what
        Kafka lacks before going, so that a clean stop leaves Kafka's copy complete (a crash
        leaves it to the next start's first round)."""
        try:
            await asyncio.wait_for(self.publish_pending(publisher), PUBLISH_ON_STOP_S)
        except Exception as exc:  # the stop goes on; the next start publishes
            log.warning("checkpointer: could not publish on stop (%s)", type(exc).__name__)

    async def round(self, publisher: CheckpointPublisher) -> cps.SignedCheckpoint | None:
        """Sign the head if a checkpoint is due, then publish what Kafka lacks."""
        try:
            signed = await self.sign_if_due()
        except ChainBroken as exc:  # tampering, or a bug: worth an alert, not just a retry
            log.error("checkpointer: not signing: %s", exc)
            raise
        await self.publish_pending(publisher)
        return signed

    async def sign_if_due(self) -> cps.SignedCheckpoint | None:
        last, head = await self._log.last_and_head()
        if last is not None and head < last.position:
            raise ChainBroken(f"the store ends at position {head}, below the signed "
                              f"checkpoint at {last.position}: events were removed")
        now = self._clock.now()
        if not self._due(last, head, now):
            return None
        if last is not None and not cps.verify(last, self._signer.public_key):
            raise ChainBroken(f"the last stored checkpoint (position {last.position}) does "
                              "not verify with the signing key: it was not signed here")
        log_id, head_hash = await self._verified_head(last, head)
        checkpoint = cps.new_checkpoint(log_id, head, head_hash, now, self._signer)
        # a KMS signs over the network: keep the event loop free meanwhile
        signed = await asyncio.to_thread(cps.sign, checkpoint, self._signer)
        if not await self._log.store_unless_signed(signed):
            return None  # another intake process signed it meanwhile
        self.signed_position = head
        log.info("checkpoint signed at position %d", head)
        return signed

    def _due(self, last: cps.SignedCheckpoint | None, head: int, now: datetime) -> bool:
        if last is None:
            return head > 0
        unanchored = head - last.position
        return unanchored > 0 and (unanchored >= self._every_events
                                   or now - last.checkpoint.signed_at >= self._interval)

    async def _verified_head(self, last: cps.SignedCheckpoint | None,
                             head: int) -> tuple[bytes, bytes]:
        """(log id, head hash) after checking every event from ``last`` to ``head``."""
        position = last.position if last else 0
        previous = last.checkpoint.hash if last else bytes(32)
        log_id = last.checkpoint.log_id if last else b""
        async for row in self._log.rows(position, head):
            _check_link(row, position + 1, previous)
            position, previous = row.position, row.hash
            log_id = log_id or row.hash  # the genesis event's hash names the log
        if position != head:
            raise ChainBroken(f"the chain ends at position {position}, not at {head}")
        return log_id, previous

    async def publish_pending(self, publisher: CheckpointPublisher) -> int:
        """Publish the stored checkpoints after the last one Kafka confirmed, in order; only
        those this key signed (a row someone slipped into the table stays off Kafka)."""
        pending = await self._log.unpublished()
        if not pending:
            return 0
        sent = [signed for signed in pending if self._ours(signed)]
        await publisher.publish(sent)
        await self._log.confirm_published(pending[-1].position)
        self.published_position = pending[-1].position
        return len(sent)

    def _ours(self, signed: cps.SignedCheckpoint) -> bool:
        if cps.verify(signed, self._signer.public_key):
            return True
        log.error("stored checkpoint at position %d was not signed with this key; not "
                  "published", signed.position)
        return False


def _check_link(row: StoredRow, position: int, previous: bytes) -> None:
    if row.position != position:
        raise ChainBroken(f"position {position} is missing (next stored: {row.position})")
    if row.prev_hash != previous:
        raise ChainBroken(f"event {position} does not link to its predecessor's hash")
    if row.envelope is None or chain_hash(previous, row.envelope) != row.hash:
        raise ChainBroken(f"event {position}'s stored hash is not the hash of its content")
