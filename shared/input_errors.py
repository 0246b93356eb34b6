"""One pydantic validation error -> the stable code, status, message and field clients see.

Used for HTTP bodies, Kafka ingress records and CSV rows alike, so the same mistake gets the
same answer whichever way it came in. Codes: ``malformed_json`` (400: not JSON at all),
``unsupported_media_type`` (415: a body that was not sent as JSON), ``unknown_field`` (422),
``invalid_request`` (422: wrong type, shape or value; the message names the field).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# FastAPI starts each location with where the value came from; clients name fields only.
_SOURCES = {"body", "query", "path", "header", "cookie"}
_NOT_AN_OBJECT = {"model_type", "model_attributes_type", "dict_type"}


@dataclass(frozen=True)
class InputProblem:
    status: int
    code: str
    message: str
    field: str | None


def describe(error: Mapping[str, Any], *, from_request: bool = False) -> InputProblem:
    """The client-facing description of one error from ``ValidationError.errors()``;
    ``from_request`` for FastAPI's errors, whose location starts with 'body', 'path'..."""
    kind = str(error.get("type", ""))
    loc: Sequence[Any] = error.get("loc", ())
    if from_request and loc and loc[0] in _SOURCES:
        loc = loc[1:]
    if kind == "json_invalid":
        return InputProblem(400, "malformed_json", _malformed(error, loc), None)
    field = field_path(loc)
    value = error.get("input")
    if field is None and isinstance(value, bytes | bytearray):
        return InputProblem(415, "unsupported_media_type",
                            "body: send JSON with 'Content-Type: application/json'", None)
    if kind == "extra_forbidden":
        return InputProblem(422, "unknown_field",
                            f"{field}: unknown field; this request does not take it", field)
    message = f"{field or 'body'}: {_what(kind, error, field)}"
    return InputProblem(422, "invalid_request", message, field)


def field_path(loc: Sequence[Any]) -> str | None:
    """('items', 0, 'minutes') -> 'items[0].minutes'; () -> None."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or None


def _malformed(error: Mapping[str, Any], loc: Sequence[Any]) -> str:
    # FastAPI reports the decoder's reason in ctx and the offset as the "field"; pydantic's
    # own JSON parser puts both into msg.
    reason = (error.get("ctx") or {}).get("error") or str(error.get("msg", ""))
    reason = reason.removeprefix("Invalid JSON: ")
    at = f" (at character {loc[0]})" if loc and isinstance(loc[0], int) else ""
    return f"body is not valid JSON: {reason}{at}"


def _what(kind: str, error: Mapping[str, Any], field: str | None) -> str:
    value = error.get("input")
    if kind in _NOT_AN_OBJECT:
        return f"must be a JSON object, got {json_kind(value)}"
    if kind == "list_type":
        return f"must be a JSON array, got {json_kind(value)}"
    if kind == "missing" and field is None:
        return "required: send a JSON body"
    message = str(error.get("msg", "invalid"))
    if kind.endswith("_type") or (kind == "literal_error" and not isinstance(value, str)):
        return f"{message}, got {json_kind(value)}"
    return message


def json_kind(value: Any) -> str:
    """The JSON type of a decoded value, as a client would name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
