"""The e-service Kafka ingress as a contract: what a record carries and what intake answers.

A record on the ingress topic (``erk.ingress.activities.v1``) carries one ReportActivity
body as JSON, the e-service's bearer token in the ``authorization`` header, and optionally
a ``correlation_id`` header. Its key is the sender's choice, but never personal data: keys
sit in every broker's log segments and are copied onto the answers, which every e-service
principal reads. An opaque id of the employee of the sender's own (e.g. a keyed hash of the
NIP) keeps one employee's records in order; intake copies it, and the correlation header,
onto the answers.

Intake answers every record once on the outcome topic (``erk.ingress.outcomes.v1``), and
a refused record also goes, original bytes and key, to the rejection topic
(``erk.ingress.rejected.v1``) with the reason in headers. The AsyncAPI document
(``GET /asyncapi`` of intake, ``docs/asyncapi.yaml``) is generated from these models.
"""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from aiokafka import ConsumerRecord
from pydantic import BaseModel, ConfigDict, Field

AUTHORIZATION = "authorization"
"""Header with ``Bearer <token>``: an ``eservice`` token, as over HTTP."""
CORRELATION = "correlation_id"
"""Optional header the sender chooses; copied onto the record's outcome and rejection."""

OutcomeStatus = Literal["accepted", "duplicate", "rejected"]


class IngressHeaders(BaseModel):
    """Headers of an ingress record (UTF-8 values; names are matched case-insensitively)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    authorization: str = Field(
        pattern=r"^[Bb]earer \S+$",
        description="'Bearer <token>': an eservice token; the activity's source is its subject.")
    correlation_id: str | None = Field(
        None, max_length=200,
        description="Any id of the sender's; copied onto the outcome and the rejection.")


class RejectionHeaders(BaseModel):
    """Headers of a record on the rejection topic; its key and value are the original's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="Stable code, the same HTTP gives for the same input, "
                      "e.g. invalid_request, role_not_allowed, unknown_employee.")
    status: str = Field(pattern=r"^[1-5][0-9]{2}$",
                        description="The HTTP status the same request would get, e.g. '422'.")
    reason: str = Field(description="What is wrong, naming the field; our words.")
    source_topic: str = Field(description="Topic of the refused record.")
    source_partition: str = Field(pattern=r"^[0-9]+$", description="Its partition.")
    source_offset: str = Field(pattern=r"^[0-9]+$", description="Its offset.")
    correlation_id: str | None = Field(None, description="The record's correlation_id "
                                       "header, when it had one.")


class OutcomeHeaders(BaseModel):
    """Headers of a record on the outcome topic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: OutcomeStatus = Field(description="The outcome's status, to filter on cheaply.")
    correlation_id: str | None = Field(None, description="The record's correlation_id "
                                       "header, when it had one.")


class IngressOutcome(BaseModel):
    """What became of one ingress record. Keyed like the record it answers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = Field(1, description="Version of this outcome schema.")
    status: OutcomeStatus = Field(
        description="accepted: stored (or a re-send of the same activity_id); duplicate: "
        "the (source, external_ref) was already used by another activity id, which was "
        "kept; rejected: refused, nothing stored (see code).")
    activity_id: UUID | None = Field(
        description="The activity_id the record carried; null when its body is no valid "
        "ReportActivity, and for attendance records.")
    external_ref: str | None = Field(None, description="The record's external_ref, if any.")
    device_record_id: str | None = Field(
        None, description="An attendance record's device_record_id (null for activities); "
        "for attendance, accepted means stored now, duplicate that the source sent this "
        "record before (event_id and position are the stored one's).")
    kept_activity_id: UUID | None = Field(
        None, description="The activity stored for this record: activity_id when accepted, "
        "the one kept when duplicate; null when rejected.")
    event_id: UUID | None = Field(
        None, description="Id of the kept activity's ActivityReported event.")
    position: int | None = Field(
        None, ge=1, description="Global position of that event in the event store (its "
        "position on erk.events.v1 envelopes); null when rejected.")
    code: str | None = Field(None, description="When rejected: the stable code HTTP gives "
                             "for the same input.")
    http_status: int | None = Field(None, ge=400, le=599,
                                    description="When rejected: that HTTP status.")
    message: str | None = Field(None, description="When rejected: what is wrong.")
    source_topic: str = Field(description="Topic of the record answered.")
    source_partition: int = Field(ge=0, description="Its partition.")
    source_offset: int = Field(ge=0, description="Its offset: with the partition, a unique "
                               "id of the record, to drop a repeated outcome by.")
    correlation_id: str | None = Field(None, description="The record's correlation_id "
                                       "header, when it had one.")


@dataclass(frozen=True)
class Answer:
    """One ingress record and its outcome, as intake publishes them."""

    record: "ConsumerRecord[bytes, bytes]"
    outcome: IngressOutcome
