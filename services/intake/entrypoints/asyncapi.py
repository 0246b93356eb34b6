"""The Kafka contracts as an AsyncAPI 3.0 document, generated from the models the code uses.

FastStream (0.7) generates AsyncAPI from its subscribers, but leaves out message headers
and Kafka keys (its message schema has them as a TODO), and the ingress reads raw records;
so the document is built here, from the same pydantic models: the ingress command
(``ReportActivity``), the answers (``shared.ingress``), the envelope and every event type
(``shared.events``). Intake serves it (``GET /asyncapi``, ``/asyncapi.json``,
``/asyncapi.yaml``); ``docs/asyncapi.yaml`` is a copy that a unit test regenerates and
compares, so a model change without a new copy fails CI (``erk-intake asyncapi`` writes it).
"""

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from services.intake.domain.commands import RecordAttendance, ReportActivity
from shared import topics
from shared.envelope import EventEnvelope
from shared.events import EVENT_TYPES
from shared.ingress import IngressHeaders, IngressOutcome, OutcomeHeaders, RejectionHeaders

INGRESS_SUMMARY = " ".join(f"""
e-services may send activities over Kafka instead of HTTP: one record per activity on
`{topics.INGRESS_ACTIVITIES}`, its value a `ReportActivity` body as JSON (the body of
`POST /v1/activities`), the header `authorization: Bearer <eservice token>`, optionally a
`correlation_id` header, any key (the NIP keeps one employee's records in order). Every
record is answered on `{topics.INGRESS_OUTCOMES}` (accepted, duplicate or rejected, keyed
like the record, exactly once for read_committed readers); a refused one is also copied to
`{topics.INGRESS_REJECTED}` with `code`, `status` and `reason` headers. Codes and statuses
are those HTTP gives. The AsyncAPI document: `/asyncapi` (`/asyncapi.yaml`).""".split())
"""The ingress in a paragraph, for the OpenAPI description and ``erk-intake --help``."""

KAFKA_BINDING = "0.5.0"
REF = "#/components/schemas/{model}"


class DeadLetterHeaders(BaseModel):
    """Headers of a record on the dead-letter topic (appraisal writes them); its key and
    value are the original event record's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="Why it could not be applied, e.g. undecodable, "
                      "unknown_event_type, invalid_payload.")
    reason: str = Field(description="The same in words.")
    source_topic: str = Field(description="Topic of the event record.")
    source_partition: str = Field(pattern=r"^[0-9]+$", description="Its partition.")
    source_offset: str = Field(pattern=r"^[0-9]+$", description="Its offset.")
    dead_letter_id: str = Field(description="Id of the dead letter in appraisal "
                                "(`erk-appraisal dead-letters retry|skip ID`).")


def _schemas() -> dict[str, Any]:
    models: list[type[BaseModel]] = [ReportActivity, RecordAttendance, IngressOutcome,
                                     EventEnvelope, IngressHeaders, RejectionHeaders,
                                     OutcomeHeaders, DeadLetterHeaders, *EVENT_TYPES.values()]
    _, definitions = models_json_schema([(m, "validation") for m in models],
                                        ref_template=REF)
    return {name: _asyncapi_schema(schema)
            for name, schema in sorted(definitions["$defs"].items())}


def _asyncapi_schema(schema: Any) -> Any:
    """Pydantic writes OpenAPI's discriminator object; AsyncAPI's is the property name."""
    if isinstance(schema, dict):
        return {key: (value["propertyName"] if key == "discriminator" else
                      _asyncapi_schema(value)) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_asyncapi_schema(item) for item in schema]
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _key(description: str) -> dict[str, Any]:
    return {"kafka": {"key": {"type": "string", "description": description},
                      "bindingVersion": KAFKA_BINDING}}


def _correlation(where: str) -> dict[str, str]:
    return {"location": f"$message.header#/{where}",
            "description": "The sender's correlation_id header, copied onto its answers."}


def _event_message(name: str) -> dict[str, Any]:
    event = EVENT_TYPES[name]
    return {
        "name": name, "title": name, "summary": (event.__doc__ or "").strip(),
        "payload": {"allOf": [_ref("EventEnvelope"), {
            "type": "object",
            "properties": {"event_type": {"const": name},
                           "schema_version": {"const": event.schema_version},
                           "payload": _ref(name)}}]},
        "bindings": _key("subject id: 32 hex digits, a keyed hash (HMAC-SHA256) of the NIP "
                         "whose appraisal the event affects, never the NIP itself "
                         "(shared.pseudonym); the same employee always has the same id, so "
                         f"their events keep their order. '{topics.BROADCAST_KEY}' (on every "
                         "partition) for events that concern everyone."),
    }


def _messages() -> dict[str, Any]:
    ingress_key = ("The sender's choice, copied onto the answers (which every e-service "
                   "reads), so never personal data such as the NIP: an opaque id of the "
                   "employee of the sender's own (e.g. a keyed hash of the NIP) keeps one "
                   "employee's records in order.")
    messages: dict[str, Any] = {
        "ReportActivity": {
            "name": "ReportActivity", "title": "Report an activity",
            "summary": "One activity an e-service reports; checked as POST /v1/activities.",
            "headers": _ref("IngressHeaders"), "payload": _ref("ReportActivity"),
            "correlationId": _correlation("correlation_id"), "bindings": _key(ingress_key)},
        "RecordAttendance": {
            "name": "RecordAttendance", "title": "Record a check-in, check-out or absence",
            "summary": "One attendance record of a source; checked as POST /v1/attendance.",
            "headers": _ref("IngressHeaders"), "payload": _ref("RecordAttendance"),
            "correlationId": _correlation("correlation_id"), "bindings": _key(ingress_key)},
        "IngressOutcome": {
            "name": "IngressOutcome", "title": "What became of an ingress record",
            "summary": "Exactly one per ingress record, for read_committed consumers.",
            "headers": _ref("OutcomeHeaders"), "payload": _ref("IngressOutcome"),
            "correlationId": _correlation("correlation_id"),
            "bindings": _key("The key of the ingress record answered.")},
        "RejectedRecord": {
            "name": "RejectedRecord", "title": "A refused ingress record",
            "summary": "The original bytes, unchanged; the reason in headers.",
            "headers": _ref("RejectionHeaders"),
            "payload": {"description": "The refused record's value as it was sent (it may "
                        "not be JSON at all)."},
            "correlationId": _correlation("correlation_id"),
            "bindings": _key("The key of the refused record.")},
        "DeadLetter": {
            "name": "DeadLetter", "title": "An event appraisal could not apply",
            "summary": "The original event record's bytes and key; the reason in headers.",
            "headers": _ref("DeadLetterHeaders"),
            "payload": {"description": "The event record's value as it was read."},
            "bindings": _key("The event record's key.")},
        "Checkpoint": {
            "name": "Checkpoint", "title": "A signed checkpoint of the chain head",
            "summary": "Position, chain hash, time and key id, with the Ed25519 signature "
                       "(docs/audit.md).",
            "payload": {"description": "The signed checkpoint as JSON (shared.checkpoints): "
                        "the checkpoint's fields and its signature, hex."},
            "bindings": _key("The signing key's id.")},
    }
    return messages | {name: _event_message(name) for name in EVENT_TYPES}


CHANNELS: dict[str, tuple[str, str, list[str]]] = {
    "ingress": (topics.INGRESS_ACTIVITIES, (
        "Activities e-services report over Kafka instead of HTTP. Each record: a "
        "ReportActivity body (JSON, strict types, unknown fields refused), the header "
        "`authorization: Bearer <eservice token>`, optionally a `correlation_id` header. "
        "The activity's source is the token's subject. A record is checked as `POST "
        "/v1/activities` and refused with the same code and status."), ["ReportActivity"]),
    "attendance": (topics.INGRESS_ATTENDANCE, (
        "Attendance sources (fingerprint machines, geofenced apps: e-services with their "
        "own tokens) send check-ins, check-outs and absences. Each record: a "
        "RecordAttendance body, the same headers as the activity ingress. Idempotent on "
        "(source, device_record_id): a re-sent record is answered duplicate. Checked as "
        "`POST /v1/attendance`, answered on the same outcome and rejection topics."),
        ["RecordAttendance"]),
    "outcomes": (topics.INGRESS_OUTCOMES, (
        "One outcome per ingress record, keyed like it: accepted (the activity id and its "
        "event's position), duplicate (the id kept for that (source, external_ref)) or "
        "rejected (the code and status HTTP gives). Written in one Kafka transaction with "
        "the ingress offsets: read it with isolation.level=read_committed and each record "
        "is answered exactly once; (source_partition, source_offset) identifies the record "
        "answered."), ["IngressOutcome"]),
    "rejected": (topics.INGRESS_REJECTED, (
        "Every refused ingress record, its original bytes and key, with the reason in "
        "headers (also in its outcome); written in the same transaction."),
        ["RejectedRecord"]),
    "events": (topics.EVENTS, (
        "Every committed domain event, in the store's order per key: the envelope (JSON) "
        "with the event type's payload. Relayed at least once: consumers drop an event "
        "whose position (per partition) they have applied with the same event id. Each "
        "record carries the relay's MAC in the headers `erk-mac` (HMAC-SHA256 over topic, "
        "partition, key and value) and `erk-mac-key` (the key's id); appraisal "
        "dead-letters any record without a valid one."), sorted(EVENT_TYPES)),
    "checkpoints": (topics.CHECKPOINTS, (
        "Signed checkpoints of the event store's chain head, kept forever: what `audit "
        "verify` checks the store against."), ["Checkpoint"]),
    "deadLetters": (topics.EVENTS_DLQ, (
        "Event records the appraisal consumer could not apply, with the reason."),
        ["DeadLetter"]),
}
"""Channel id -> (topic, description, message names)."""

OPERATIONS: dict[str, tuple[str, str, str]] = {
    "reportActivity": ("receive", "ingress", "Intake consumes the e-services' activities "
                       "(an e-service sends them here)."),
    "recordAttendance": ("receive", "attendance", "Intake consumes the attendance sources' "
                         "records."),
    "answerRecord": ("send", "outcomes", "Intake answers every ingress record."),
    "rejectRecord": ("send", "rejected", "Intake copies every refused ingress record."),
    "publishEvent": ("send", "events", "Intake's relay publishes every committed event."),
    "deadLetter": ("send", "deadLetters", "Appraisal sets aside what it cannot apply."),
    "publishCheckpoint": ("send", "checkpoints", "Intake's checkpointer publishes every "
                          "checkpoint it signs."),
}
"""Operation id -> (action from the platform's side, channel id, description)."""


def _channel(topic: str, description: str, messages: list[str]) -> dict[str, Any]:
    spec = topics.TOPICS[topic]
    binding: dict[str, Any] = {"topic": topic, "partitions": spec.partitions,
                               "bindingVersion": KAFKA_BINDING}
    if spec.configs:
        binding["topicConfiguration"] = {
            key: int(value) if key.endswith((".ms", ".bytes")) else [value]
            for key, value in sorted(spec.configs.items())}
    return {"address": topic, "description": description,
            "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in messages},
            "servers": [{"$ref": "#/servers/kafka"}], "bindings": {"kafka": binding}}


def document(bootstrap: str = "127.0.0.1:9092") -> dict[str, Any]:
    """The AsyncAPI document; ``bootstrap`` names the server (the committed copy's is the
    local stack's)."""
    channels = {cid: _channel(*spec) for cid, spec in CHANNELS.items()}
    operations = {
        oid: {"action": action, "channel": {"$ref": f"#/channels/{channel}"},
              "description": description,
              "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"}
                           for m in CHANNELS[channel][2]]}
        for oid, (action, channel, description) in OPERATIONS.items()}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "e-RK event contracts", "version": "1",
                 "description": "The Kafka topics of the e-RK event platform: the e-service "
                 "ingress and its answers, the event log, the dead letters. Generated from "
                 "the code's contract models (services/intake/entrypoints/asyncapi.py)."},
        "defaultContentType": "application/json",
        "servers": {"kafka": {"host": bootstrap, "protocol": "kafka",
                              "description": "Kafka bootstrap servers."}},
        "channels": channels, "operations": operations,
        "components": {"schemas": _schemas(), "messages": _messages()},
    }


def as_yaml(doc: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(doc), sort_keys=False, allow_unicode=True, width=100)
