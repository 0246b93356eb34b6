"""Roster CSV -> commands. Every bad row is reported with its line number, field and reason.

Columns: nip, name, unit, position (required); structural (``true``/``false``, any case;
empty = false), employment_type (PNS, PPPK, CPNS; any case), job_class (digits, 1..17;
empty = 1), superior_nip and effective_from (YYYY-MM-DD; required with a superior).
"""

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from services.intake.domain.commands import ChangeReportingLine, RegisterEmployee
from shared.input_errors import describe

COLUMNS = ["nip", "name", "unit", "position", "structural", "employment_type", "job_class",
           "superior_nip", "effective_from"]
REQUIRED = {"nip", "name", "unit", "position"}
MAX_ROWS = 50_000
_DIGITS = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    message: str


class BadCell(ValueError):
    """A cell whose text is not a value of its column's type."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def parse_roster(text: str) -> tuple[list[tuple[int, Any]], list[RowError]]:
    """(line, command) pairs and the bad rows. Employees come first, then reporting lines,
    so a superior may appear anywhere in the file."""
    reader = csv.DictReader(io.StringIO(text))
    header = _header_error(reader.fieldnames or [])
    if header is not None:
        return [], [header]
    employees: list[tuple[int, Any]] = []
    lines: list[tuple[int, Any]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if len(employees) >= MAX_ROWS:
            errors.append(RowError(line, None, f"more than {MAX_ROWS} rows; split the file"))
            break
        parsed = _row_commands(row, line, seen)
        if isinstance(parsed, RowError):
            errors.append(parsed)
            continue
        employees.append((line, parsed[0]))
        if parsed[1] is not None:
            lines.append((line, parsed[1]))
    return employees + lines, errors


def _header_error(fieldnames: Sequence[str]) -> RowError | None:
    missing = REQUIRED - set(fieldnames)
    if missing:
        return RowError(1, None, f"header lacks column(s): {', '.join(sorted(missing))}")
    unknown = set(fieldnames) - set(COLUMNS)
    if unknown:
        return RowError(1, None, f"unknown column(s): {', '.join(sorted(unknown))}")
    return None


def _row_commands(row: dict[Any, Any], line: int, seen: dict[str, int]) -> (
    tuple[RegisterEmployee, ChangeReportingLine | None] | RowError
):
    """The row's (employee, reporting line or None), or why it is bad; ``seen``: the line
    of each NIP so far."""
    if None in row:
        return RowError(line, None, "more values than columns")
    values = {k: (v or "").strip() for k, v in row.items()}
    if values["nip"] in seen:
        return RowError(line, "nip", f"nip repeats line {seen[values['nip']]}")
    seen[values["nip"]] = line
    try:
        return _commands(values)
    except BadCell as exc:
        return RowError(line, exc.field, f"{exc.field}: {exc.reason}")
    except ValidationError as exc:
        problem = describe(exc.errors()[0])
        return RowError(line, problem.field, problem.message)


def _commands(values: dict[str, str]) -> tuple[RegisterEmployee, ChangeReportingLine | None]:
    """The row's employee and, when it has a superior or a date, its reporting line. Text is
    the format here, so each typed column is parsed explicitly; the commands' strict types
    then refuse anything that is still not of the right type."""
    data: dict[str, Any] = {k: values[k] for k in ("nip", "name", "unit", "position")}
    if values.get("structural"):
        data["structural"] = _flag("structural", values["structural"])
    if values.get("employment_type"):
        data["employment_type"] = values["employment_type"].upper()
    if values.get("job_class"):
        data["job_class"] = _whole_number("job_class", values["job_class"])
    employee = RegisterEmployee.model_validate(data)
    superior, since = values.get("superior_nip") or None, values.get("effective_from")
    if not superior and not since:
        return employee, None
    if not since:
        raise BadCell("effective_from", "required when superior_nip is given (YYYY-MM-DD)")
    line = ChangeReportingLine.model_validate({"nip": values["nip"], "superior_nip": superior,
                                               "effective_from": since})
    return employee, line


def _flag(field: str, text: str) -> bool:
    """``true`` or ``false`` in any letter case (spreadsheets write TRUE, Python True);
    nothing else: "yes", "1" or "ya" are refused rather than guessed."""
    if text.lower() not in ("true", "false"):
        raise BadCell(field, f"must be true or false, got {text[:20]!r}")
    return text.lower() == "true"


def _whole_number(field: str, text: str) -> int:
    """ASCII digits only: no sign, decimal point, exponent or other scripts' digits."""
    if not _DIGITS.fullmatch(text):
        raise BadCell(field, f"must be a whole number written in digits, got {text[:20]!r}")
    return int(text)
