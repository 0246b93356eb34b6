"""Strict input: a value arrives with exactly its JSON type, or it is refused.

Pydantic's default (lax) mode would store ``"10"`` and ``true`` as 10 and 1 minutes, ``"yes"``
as true and a number as a date. Every model that takes outside input uses ``STRICT_INPUT``:
strict types (no string-to-number, no bool-as-int, no number-to-bool or -string), no unknown
fields, no NaN or infinity.

Strict mode alone cannot take dates and UUIDs: FastAPI validates a body in Python mode
after ``json.loads``, where a date is still a string, and strict Python mode accepts only
``date``/``UUID`` objects. ``IsoDate`` and ``IsoUuid`` therefore accept exactly one string
form (or the Python object, for code that builds models itself) and nothing else, the same
in Python mode (HTTP) and JSON mode (the Kafka ingress).
"""

import re
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import BeforeValidator, ConfigDict, Strict
from pydantic_core import PydanticCustomError

STRICT_INPUT = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)
"""Model config for anything validated from outside input (commands, bodies, documents)."""

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _iso_date(value: Any) -> Any:
    """'YYYY-MM-DD' -> date; anything else that is not a date is left to the strict check."""
    if not isinstance(value, str):
        return value
    if not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "Input should be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise PydanticCustomError("date_invalid", "Input should be a calendar date, {reason}",
                                  {"reason": str(error)}) from error


def _canonical_uuid(value: Any) -> Any:
    """'8-4-4-4-12' hex -> UUID; anything else that is not a UUID is left to the strict check."""
    if not isinstance(value, str):
        return value
    if not _UUID.fullmatch(value):
        raise PydanticCustomError("uuid_format", "Input should be a UUID written like "
                                  "123e4567-e89b-12d3-a456-426614174000")
    return UUID(value)


IsoDate = Annotated[date, Strict(), BeforeValidator(_iso_date)]
"""A date: in JSON exactly the string 'YYYY-MM-DD'; never a number or a date-time."""

IsoUuid = Annotated[UUID, Strict(), BeforeValidator(_canonical_uuid)]
"""A UUID: in JSON exactly the hyphenated 36-character string; never a number."""
