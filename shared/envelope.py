"""The event envelope: what every stored and published event carries around its payload."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class EventHeader(BaseModel):
    """Everything an envelope says about its event but the payload: what the projections
    read beside the typed event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(description="Unique id of this event; consumers deduplicate on it.")
    event_type: str = Field(description="Past-tense event name, e.g. ActivityReported.")
    schema_version: int = Field(ge=1, description="Version of the payload schema of this type.")
    stream_id: str = Field(description="Aggregate stream the event belongs to, e.g. activity-<id>.")
    stream_version: int = Field(ge=1, description="1-based version of the event within its stream.")
    position: int | None = Field(
        None, ge=1, description="Global, gap-free position in the event store; set on append."
    )
    subject_nip: str = Field(
        description="NIP of the employee whose appraisal the event affects; the Kafka key is "
        "its subject id (a keyed hash, never the NIP). '*' for events that concern everyone "
        "(written to every partition)."
    )
    occurred_at: datetime = Field(description="When it happened in the world (UTC).")
    recorded_at: datetime = Field(description="When the event store accepted it (UTC).")
    actor: str = Field(description="Principal that caused it: a NIP, an e-service id or 'admin'.")
    source: str = Field(description="Channel it came through: 'app', 'admin' or an e-service id.")
    correlation_id: UUID = Field(description="Id shared by everything one request caused.")
    causation_id: UUID | None = Field(
        None, description="Id of the command or event that caused it."
    )


class EventEnvelope(EventHeader):
    """One immutable event as stored in the event store and published to Kafka."""

    payload: dict[str, Any] = Field(description="The event body; its schema is the event type's.")
