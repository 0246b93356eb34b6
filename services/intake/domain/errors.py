"""Why a command was refused: a stable code for machines, a sentence for people."""

from dataclasses import dataclass


@dataclass
class Rejected(Exception):
    """A command broke a rule. Nothing was stored.

    ``status`` follows HTTP: 400 malformed, 403 not allowed, 404 unknown, 409 conflicts
    with current state, 422 breaks a domain rule.
    """

    code: str
    message: str
    field: str | None = None
    status: int = 422

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def forbidden(code: str, message: str) -> Rejected:
    return Rejected(code, message, None, 403)


def not_found(code: str, message: str, field: str | None = None) -> Rejected:
    return Rejected(code, message, field, 404)


def conflict(code: str, message: str, field: str | None = None) -> Rejected:
    return Rejected(code, message, field, 409)
