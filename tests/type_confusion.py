"""Type-confused values from a JSON schema (an OpenAPI request body or a model's schema).

For each field of a body, :func:`cases` yields the body with that one field replaced by a
value of the wrong JSON type, picked so that a lax parser would still have taken it ("90"
and 90.0 for an integer, "true" and 1 for a boolean, a number for a string or a date), by
null where null is not allowed, by an array or an object, and each object with one unknown
field added. Schemas are walked recursively (nested objects, array items, map values).
"""

import copy
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

UNKNOWN_FIELD = "unexpected_field"
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Case:
    path: Path
    label: str
    body: Any
    unknown_field: bool = False

    @property
    def field(self) -> str | None:
        """The dotted field name the error must carry, as intake renders it."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
        return text or None


def resolve(schema: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with ``$ref`` followed (within ``document``'s components or $defs)."""
    while "$ref" in schema:
        node: Any = document
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return dict(schema)


def branches(schema: Mapping[str, Any], document: Mapping[str, Any]) -> tuple[
    dict[str, Any], bool
]:
    """The non-null form of a schema and whether null is allowed."""
    schema = resolve(schema, document)
    options = schema.get("anyOf") or schema.get("oneOf")
    if not options:
        return schema, schema.get("type") == "null"
    kept = [resolve(o, document) for o in options if o.get("type") != "null"]
    return (kept[0] if kept else {}), len(kept) < len(options)


def json_type(schema: Mapping[str, Any]) -> str | None:
    if "type" in schema:
        return str(schema["type"])
    values = schema.get("enum") or ([schema["const"]] if "const" in schema else [])
    if values and all(isinstance(v, str) for v in values):
        return "string"
    return None


def wrong_values(schema: Mapping[str, Any], nullable: bool, value: Any) -> list[tuple[str, Any]]:
    """(label, value) pairs of the wrong JSON type for ``schema``; ``value`` is the valid one
    (or None), used to make the confusion one a lax parser would have taken."""
    kind = json_type(schema)
    found: list[tuple[str, Any]] = []
    if kind == "integer":
        number = value if isinstance(value, int) and not isinstance(value, bool) else 1
        found += [("string", str(number)), ("boolean", True), ("integral float", float(number)),
                  ("decimal", number + 0.5)]
    elif kind == "number":
        real = value if isinstance(value, int | float) and not isinstance(value, bool) else 1
        found += [("string", str(real)), ("boolean", True), ("NaN", math.nan),
                  ("infinity", math.inf)]
    elif kind == "boolean":
        found += [("string", "true" if value else "false"), ("number 1", 1), ("number 0", 0)]
    elif kind == "string":
        digits = value if isinstance(value, str) and value.isdigit() else None
        found += [("number", int(digits) if digits else 12345), ("boolean", True)]
        if schema.get("format") == "date":
            found += [("unix time", 1764547200), ("yyyymmdd number", 20261201),
                      ("date-time", f"{value or '2026-12-01'}T00:00:00"),
                      ("unix time string", "1764547200")]
        if schema.get("format") == "uuid" and isinstance(value, str):
            found += [("uuid without hyphens", value.replace("-", ""))]
    elif kind == "object":
        found += [("string", "{}"), ("number", 1), ("boolean", True)]
    elif kind == "array":
        found += [("string", "[]"), ("number", 1), ("boolean", True)]
    if kind is not None and kind != "array":
        found.append(("array", [value] if value is not None else []))
    if kind is not None and kind != "object":
        found.append(("object", {"value": value}))
    if not nullable and kind is not None:
        found.append(("null", None))
    return found


def locations(schema: Mapping[str, Any], value: Any, document: Mapping[str, Any],
              path: Path = ()) -> Iterator[tuple[Path, dict[str, Any], bool, Any]]:
    """(path, schema, nullable, valid value or None) for every field under ``path``."""
    schema, nullable = branches(schema, document)
    yield path, schema, nullable, value
    if isinstance(value, dict) and "properties" in schema:
        for name, sub in schema["properties"].items():
            yield from locations(sub, value.get(name), document, (*path, name))
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            yield from locations(schema["additionalProperties"], item, document, (*path, key))
    elif isinstance(value, list) and value and "items" in schema:
        yield from locations(schema["items"], value[0], document, (*path, 0))


def replaced(body: Any, path: Path, value: Any) -> Any:
    """A deep copy of ``body`` with the value at ``path`` set (added if absent)."""
    if not path:
        return value
    body = copy.deepcopy(body)
    node = body
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return body


def cases(schema: Mapping[str, Any], body: Any, document: Mapping[str, Any]) -> Iterator[Case]:
    """Every type-confused variant of the valid ``body``."""
    for path, sub, nullable, value in locations(schema, body, document):
        for label, wrong in wrong_values(sub, nullable, value):
            yield Case(path, label, replaced(body, path, wrong))
        if "properties" in sub and isinstance(value, dict):
            yield Case((*path, UNKNOWN_FIELD), "unknown field",
                       replaced(body, (*path, UNKNOWN_FIELD), 1), unknown_field=True)
