"""Mid-month transfers as pure rules, dates by hand: the unit on each side of day D, the 360
relation of a month whose lines changed, and the transfer's own checks."""

from datetime import date

import pytest

from services.appraisal.domain.eligibility import compute_rows
from services.appraisal.domain.units import unit_on
from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.domain.facts import EmployeeFacts
from services.intake.domain.rules import relation_in_month, transfer_employee
from shared import policy as policy_module
from shared.auth import Principal
from tests.unit.test_eligibility_rows import STAFF, inputs

pytestmark = pytest.mark.unit

D = date(2026, 3, 16)  # a Monday: 1-15 March with the old unit, 16-31 with the new
MOVES = [(D, "BAPENDA"), (date(2026, 5, 1), "INSPEKTORAT")]
OLD_BOSS, NEW_BOSS, PEER = "196804111993031009", "197512312000121003", "198505052010011002"


@pytest.mark.parametrize(("day", "unit"), [
    (date(2026, 3, 15), "BKPSDM"),      # the day before D: the registered unit
    (D, "BAPENDA"),                     # D itself: the new unit
    (date(2026, 3, 17), "BAPENDA"),     # the day after
    (date(2026, 4, 30), "BAPENDA"),
    (date(2026, 5, 1), "INSPEKTORAT"),  # a second transfer
])
def test_the_unit_on_a_day(day: date, unit: str) -> None:
    assert unit_on(MOVES, "BKPSDM", day) == unit
    assert unit_on(list(reversed(MOVES)), "BKPSDM", day) == unit  # in any order


def test_no_transfer_keeps_the_registered_unit() -> None:
    assert unit_on([], "BKPSDM", D) == "BKPSDM"


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_module, "_PARSED", {})


@pytest.mark.usefixtures("fresh_cache")
@pytest.mark.parametrize(("moves", "unit"), [
    ([(date(2026, 2, 16), "BAPENDA")], "BAPENDA"),   # mid-February: the month's last unit
    ([(date(2026, 3, 1), "BAPENDA")], "BKPSDM"),     # from March: February stays
    ([(date(2026, 2, 28), "BAPENDA")], "BAPENDA"),   # on the last day itself
])
def test_an_eligibility_row_has_the_unit_of_the_months_last_day(
        moves: list[tuple[date, str]], unit: str) -> None:
    (row,) = compute_rows(inputs(units={STAFF: moves}), [(STAFF, "2026-02")])
    assert row["unit"] == unit


def lines(*days: tuple[str | None, str | None]) -> list[tuple[str | None, str | None]]:
    return list(days)


def test_the_old_superior_rates_the_month_of_a_transfer() -> None:
    # STAFF's superior: NEW_BOSS on the last days, OLD_BOSS before D
    month = lines((None, NEW_BOSS), (None, NEW_BOSS), (None, OLD_BOSS), (None, OLD_BOSS))
    assert relation_in_month(OLD_BOSS, STAFF, month) == "superior"
    assert relation_in_month(NEW_BOSS, STAFF, month) == "superior"
    assert relation_in_month(PEER, STAFF, month) is None


def test_the_latest_relation_wins() -> None:
    # PEER was STAFF's peer under OLD_BOSS before, and rated by STAFF as superior after
    month = lines((None, PEER), (OLD_BOSS, OLD_BOSS))
    assert relation_in_month(PEER, STAFF, month) == "superior"
    assert relation_in_month(PEER, STAFF, list(reversed(month))) == "peer"
    assert relation_in_month(STAFF, PEER, lines((PEER, None))) == "subordinate"
    assert relation_in_month(PEER, STAFF, []) is None


ADMIN = Principal("admin", "admin")
MOVE = c.TransferEmployee(nip=STAFF, unit="BAPENDA", superior_nip=NEW_BOSS, effective_from=D)


def test_a_transfer_records_unit_line_and_day() -> None:
    event = transfer_employee(MOVE, ADMIN, EmployeeFacts(STAFF, "BKPSDM", False),
                              EmployeeFacts(NEW_BOSS, "BAPENDA", True), [])
    assert (event.nip, event.unit, event.superior_nip, event.effective_from) == (
        STAFF, "BAPENDA", NEW_BOSS, D)


@pytest.mark.parametrize(("principal", "employee", "superior", "chain", "code"), [
    (Principal(NEW_BOSS, "superior"), True, True, [], "role_not_allowed"),
    (ADMIN, False, True, [], "unknown_employee"),
    (ADMIN, True, False, [], "unknown_superior"),
    (ADMIN, True, True, [STAFF], "reporting_cycle"),
])
def test_a_transfer_is_checked_as_a_reporting_line(principal: Principal, employee: bool,
                                                   superior: bool, chain: list[str],
                                                   code: str) -> None:
    with pytest.raises(Rejected) as refused:
        transfer_employee(MOVE, principal,
                          EmployeeFacts(STAFF, "BKPSDM", False) if employee else None,
                          EmployeeFacts(NEW_BOSS, "BAPENDA", True) if superior else None,
                          chain)
    assert refused.value.code == code
