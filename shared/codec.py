"""The one JSON encoding of events, and decoding with upcasting of older schema versions."""

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Literal, Union

import orjson
from pydantic import Field, TypeAdapter, ValidationError, create_model

from shared.envelope import EventEnvelope, EventHeader
from shared.events import EVENT_TYPES, Event


class UndecodableEvent(ValueError):
    """Bytes or payload that cannot become a known event. ``code`` says why, for dead letters."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""(event type, version) -> function turning that version's payload into the next version's."""


def encode(envelope: EventEnvelope) -> bytes:
    """Serialise an envelope to its wire and storage form (UTF-8 JSON)."""
    return envelope.model_dump_json().encode()


def canonical_bytes(envelope: EventEnvelope) -> bytes:
    """Deterministic bytes of an envelope (sorted keys), the input of the tamper-evident hash."""
    return canonical_json(envelope.model_dump(mode="json"))


def canonical_json(document: dict[str, Any]) -> bytes:
    """:func:`canonical_bytes` of an envelope already dumped to JSON-compatible values."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def decode_envelope(data: bytes) -> EventEnvelope:
    """Parse wire bytes into an envelope, or raise UndecodableEvent('undecodable', ...)."""
    try:
        return EventEnvelope.model_validate_json(data)
    except ValidationError as exc:
        reason = f"not an event envelope: {_first_error(exc)}"
        raise UndecodableEvent("undecodable", reason) from exc


def decode_current(data: bytes) -> tuple[EventHeader, Event] | None:
    """The header and the typed payload of an event of its type's current version, validated
    in one pass (the payload straight into its event class, no intermediate dict): the
    consumers' hot path. None for anything else (an older version to upcast, or bytes that
    do not validate): :func:`decode_envelope` and :func:`decode_payload` then say why."""
    try:
        typed = _current_versions().validate_json(data)
    except ValidationError:
        return None
    if typed.schema_version != type(typed.payload).schema_version:
        return None  # the type's version changed since the models were built (tests do)
    return typed, typed.payload


@cache
def _current_versions() -> TypeAdapter[Any]:
    # One envelope model per event type, its payload typed and its version the current one,
    # told apart by event_type. Built on first use: nothing is constructed at import time.
    typed: Any = Union[tuple(_typed_envelope(name, cls) for name, cls in EVENT_TYPES.items())]  # noqa: UP007
    return TypeAdapter(Annotated[typed, Field(discriminator="event_type")])


def _typed_envelope(name: str, cls: type[Event]) -> type[EventHeader]:
    event_type: Any = Literal[name]
    version: Any = Literal[cls.schema_version]
    return create_model(f"{name}Envelope", __base__=EventHeader, event_type=(event_type, ...),
                        schema_version=(version, ...), payload=(cls, ...))


def decode_payload(envelope: EventEnvelope) -> Event:
    """The typed payload of an envelope, upcast to the current schema version."""
    cls = EVENT_TYPES.get(envelope.event_type)
    if cls is None:
        raise UndecodableEvent("unknown_type", f"unknown event type {envelope.event_type!r}")
    version, payload = envelope.schema_version, envelope.payload
    if version > cls.schema_version:
        raise UndecodableEvent(
            "unknown_version",
            f"{envelope.event_type} v{version} is newer than this code (v{cls.schema_version})",
        )
    while version < cls.schema_version:
        upcast = UPCASTERS.get((envelope.event_type, version))
        if upcast is None:
            raise UndecodableEvent("unknown_version", f"no upcaster for v{version}")
        payload, version = upcast(payload), version + 1
    try:
        return cls.model_validate(payload)
    except ValidationError as exc:
        raise UndecodableEvent("contract_violation", _first_error(exc)) from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "<root>"
    return f"{where}: {err['msg']}"
