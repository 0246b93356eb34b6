"""Roster CSV -> commands. Every bad row is reported with its line number and reason."""

import csv
import io
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from services.intake.domain.commands import ChangeReportingLine, RegisterEmployee

COLUMNS = ["nip", "name", "unit", "position", "structural", "employment_type", "job_class",
           "superior_nip", "effective_from"]
REQUIRED = {"nip", "name", "unit", "position"}
MAX_ROWS = 50_000


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    message: str


def parse_roster(text: str) -> tuple[list[tuple[int, Any]], list[RowError]]:
    """(line, command) pairs and the bad rows. Employees come first, then reporting lines,
    so a superior may appear anywhere in the file."""
    reader = csv.DictReader(io.StringIO(text))
    missing = REQUIRED - set(reader.fieldnames or [])
    if missing:
        return [], [RowError(1, None, f"header lacks column(s): {', '.join(sorted(missing))}")]
    unknown = set(reader.fieldnames or []) - set(COLUMNS)
    if unknown:
        return [], [RowError(1, None, f"unknown column(s): {', '.join(sorted(unknown))}")]
    employees: list[tuple[int, Any]] = []
    lines: list[tuple[int, Any]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if len(employees) >= MAX_ROWS:
            errors.append(RowError(line, None, f"more than {MAX_ROWS} rows; split the file"))
            break
        if None in row:
            errors.append(RowError(line, None, "more values than columns"))
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if values["nip"] in seen:
            errors.append(RowError(line, "nip", f"nip repeats line {seen[values['nip']]}"))
            continue
        seen[values["nip"]] = line
        try:
            employee = _employee(values)
            line_change = None
            if values.get("superior_nip") or values.get("effective_from"):
                line_change = ChangeReportingLine.model_validate({
                    "nip": values["nip"], "superior_nip": values.get("superior_nip") or None,
                    "effective_from": values.get("effective_from")})
            employees.append((line, employee))
            if line_change is not None:
                lines.append((line, line_change))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or None
            errors.append(RowError(line, field, f"{field}: {err['msg']}"))
    return employees + lines, errors


def _employee(values: dict[str, str]) -> RegisterEmployee:
    data: dict[str, Any] = {k: values[k] for k in ("nip", "name", "unit", "position")}
    if values.get("structural"):
        data["structural"] = values["structural"].lower() in {"1", "true", "yes", "ya", "y"}
    if values.get("employment_type"):
        data["employment_type"] = values["employment_type"].upper()
    if values.get("job_class"):
        data["job_class"] = values["job_class"]
    return RegisterEmployee.model_validate(data)
