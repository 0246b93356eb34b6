"""The roster CSV parser: text is the format, so each typed column is parsed explicitly and
anything else is refused with its line number and field."""

from datetime import date

import pytest

from services.intake.domain.commands import ChangeReportingLine, RegisterEmployee
from services.intake.entrypoints.roster_csv import RowError, parse_roster

pytestmark = pytest.mark.unit

HEADER = "nip,name,unit,position,structural,employment_type,job_class,superior_nip," \
         "effective_from"
BOSS = "196804111993031009"
STAFF = "199001012015032001"


def roster(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def row(nip: str = STAFF, structural: str = "false", kind: str = "PNS", job_class: str = "7",
        superior: str = BOSS, since: str = "2026-01-01") -> str:
    return f"{nip},Siti Aminah,BKPSDM,Analis,{structural},{kind},{job_class},{superior},{since}"


def test_a_good_file_gives_employees_first_then_reporting_lines() -> None:
    commands, errors = parse_roster(roster(row(), row(BOSS, "true", "pppk", "12", "", "")))
    assert errors == []
    assert [(line, type(cmd).__name__) for line, cmd in commands] == [
        (2, "RegisterEmployee"), (3, "RegisterEmployee"), (2, "ChangeReportingLine")]
    staff, boss, line = (cmd for _, cmd in commands)
    assert staff == RegisterEmployee(nip=STAFF, name="Siti Aminah", unit="BKPSDM",
                                     position="Analis", structural=False, employment_type="PNS",
                                     job_class=7)
    assert isinstance(boss, RegisterEmployee)
    assert (boss.structural, boss.employment_type, boss.job_class) == (True, "PPPK", 12)
    assert line == ChangeReportingLine(nip=STAFF, superior_nip=BOSS,
                                       effective_from=date(2026, 1, 1))


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("TRUE", True), ("True", True), ("false", False), ("FALSE", False),
    ("False", False), ("", False)])
def test_structural_takes_true_or_false_in_any_case(text: str, expected: bool) -> None:
    commands, errors = parse_roster(roster(row(structural=text)))
    assert errors == []
    assert commands[0][1].structural is expected


@pytest.mark.parametrize(("text", "expected"), [("7", 7), ("07", 7), ("17", 17), ("", 1)])
def test_job_class_takes_digits(text: str, expected: int) -> None:
    commands, errors = parse_roster(roster(row(job_class=text)))
    assert errors == []
    assert commands[0][1].job_class == expected


@pytest.mark.parametrize(("column", "changes"), [
    ("structural", {"structural": "yes"}), ("structural", {"structural": "1"}),
    ("structural", {"structural": "ya"}), ("structural", {"structural": "y"}),
    ("structural", {"structural": "0"}), ("structural", {"structural": "no"}),
    ("job_class", {"job_class": "5.0"}), ("job_class", {"job_class": "+5"}),
    ("job_class", {"job_class": "-5"}), ("job_class", {"job_class": "1e1"}),
    ("job_class", {"job_class": "true"}), ("job_class", {"job_class": "\u0665"}),
    ("job_class", {"job_class": "0"}), ("job_class", {"job_class": "18"}),
    ("job_class", {"job_class": "1_0"}), ("job_class", {"job_class": "9" * 12}),
    ("employment_type", {"kind": "1"}), ("employment_type", {"kind": "PNS1"}),
    ("effective_from", {"since": "20260101"}), ("effective_from", {"since": "1767225600"}),
    ("effective_from", {"since": "2026-01-01T00:00:00"}),
    ("effective_from", {"since": "01/01/2026"}), ("effective_from", {"since": "2026-02-30"}),
    ("effective_from", {"since": ""}),
    ("superior_nip", {"superior": "1.96804111993031E+17"}),
    ("nip", {"nip": "1.99001012015032E+17"}),
])
def test_anything_else_is_refused_with_line_and_field(column: str,
                                                      changes: dict[str, str]) -> None:
    commands, errors = parse_roster(roster(row(BOSS, superior="", since=""), row(**changes)))
    assert [(e.line, e.field) for e in errors] == [(3, column)], errors
    assert errors[0].message.startswith(f"{column}: ")
    assert [line for line, _ in commands] == [2]  # the good row still parses


def test_messages_say_what_is_accepted() -> None:
    _, errors = parse_roster(roster(row(structural="yes"), row(BOSS, job_class="5.0")))
    assert errors == [
        RowError(2, "structural", "structural: must be true or false, got 'yes'"),
        RowError(3, "job_class", "job_class: must be a whole number written in digits, "
                                 "got '5.0'"),
    ]
    _, errors = parse_roster(roster(row(since="")))
    assert errors[0].message == ("effective_from: required when superior_nip is given "
                                 "(YYYY-MM-DD)")


def test_a_date_without_superior_ends_the_reporting_line() -> None:
    commands, errors = parse_roster(roster(row(superior="", since="2026-03-01")))
    assert errors == []
    assert commands[1][1] == ChangeReportingLine(nip=STAFF, superior_nip=None,
                                                 effective_from=date(2026, 3, 1))
