"""The envelope factory every unit of work shares: it builds each recorded event's envelope
from the context (actor, source, correlation id) and keeps it until the unit commits."""

import uuid
from datetime import UTC, datetime

from services.intake.service_layer.ports import Context, Recorded
from shared.envelope import EventEnvelope
from shared.events import Event


class Recorder:
    """Implements :class:`~services.intake.service_layer.ports.EventRecorder`; a unit of
    work adds the transaction and appends ``pending`` when it commits."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.pending: list[Recorded] = []

    def record(self, event: Event, stream_id: str, stream_version: int, subject_nip: str,
               occurred_at: datetime | None = None) -> Recorded:
        now = datetime.now(UTC)
        envelope = EventEnvelope(
            event_id=uuid.uuid4(),
            event_type=event.event_type,
            schema_version=event.schema_version,
            stream_id=stream_id,
            stream_version=stream_version,
            subject_nip=subject_nip,
            occurred_at=occurred_at or now,
            recorded_at=now,
            actor=self.context.principal.subject,
            source=self.context.principal.source,
            correlation_id=self.context.correlation_id,
            payload=event.model_dump(mode="json"),
        )
        recorded = Recorded(envelope)
        self.pending.append(recorded)
        return recorded

    def envelopes(self) -> list[EventEnvelope]:
        return [recorded.envelope for recorded in self.pending]

    def set_positions(self, stored: list[EventEnvelope]) -> None:
        """The positions the store gave the pending events, in order."""
        for recorded, event in zip(self.pending, stored, strict=True):
            recorded.position = event.position
