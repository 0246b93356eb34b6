"""Periods lock by themselves: the close day under the governing policy, on the agencies'
calendar day (Asia/Jakarta), read from a FixedClock as the services read theirs."""

import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.intake.domain import commands as c
from services.intake.domain import periods, rules
from services.intake.domain.errors import Rejected
from shared.auth import Principal
from shared.clock import FixedClock
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

WIB = ZoneInfo("Asia/Jakarta")
POLICY = load_policy(default_policy_path())  # close_day 10, effective from 2026-01


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> FixedClock:
    return FixedClock(datetime(year, month, day, hour, minute, tzinfo=WIB))


def locked(period: str, clock: FixedClock, recorded: bool = False) -> bool:
    return periods.is_locked(recorded, POLICY, period, clock.today())


@pytest.mark.parametrize(("clock", "expected"), [
    (at(2026, 4, 9, 23, 59), False),   # the day before close_day, to the last minute
    (at(2026, 4, 10, 0, 0), True),     # close_day itself, from its first minute
    (at(2026, 4, 11), True),           # the day after
])
def test_boundary_days(clock: FixedClock, expected: bool) -> None:
    assert POLICY.close_day == 10
    assert locked("2026-03", clock) is expected


@pytest.mark.parametrize(("clock", "expected"), [
    (at(2027, 1, 9, 23, 59), False),
    (at(2027, 1, 10, 0, 0), True),
    (at(2027, 1, 11), True),
])
def test_december_locks_in_january_of_the_next_year(clock: FixedClock, expected: bool) -> None:
    assert locked("2026-12", clock) is expected
    assert locked("2027-01", clock) is False


def test_the_calendar_day_is_jakartas_not_utc() -> None:
    # 17:30 UTC on 9 April is 00:30 on 10 April in Jakarta
    clock = FixedClock(datetime(2026, 4, 9, 17, 30, tzinfo=UTC))
    assert clock.today() == date(2026, 4, 10)
    assert locked("2026-03", clock)
    assert not locked("2026-03", FixedClock(datetime(2026, 4, 9, 16, 59, tzinfo=UTC)))


def test_a_recorded_close_locks_at_once_and_no_policy_never_locks_by_date() -> None:
    assert locked("2026-03", at(2026, 4, 2), recorded=True)
    assert not periods.is_locked(False, None, "2019-12", date(2030, 1, 1))


def test_the_close_day_comes_from_the_policy_governing_the_period() -> None:
    early = POLICY.model_copy(update={"version": "early", "effective_from": "2026-03",
                                      "close_day": 3})
    history = [POLICY, early]
    assert periods.governing(history, "2026-02") is POLICY
    assert periods.governing(history, "2026-03") is early
    assert periods.governing(history, "2025-12") is None
    # a later publication for the same first period wins
    again = early.model_copy(update={"version": "again"})
    assert periods.governing([POLICY, early, again], "2026-05") is again
    today = at(2026, 4, 3).today()
    assert periods.past_close_day(early, "2026-03", today)
    assert not periods.past_close_day(POLICY, "2026-03", today)


def test_due_for_closing_walks_from_the_first_policy_period() -> None:
    today = at(2026, 4, 10).today()
    assert periods.due_for_closing([POLICY], set(), today) == ["2026-01", "2026-02", "2026-03"]
    assert periods.due_for_closing([POLICY], {"2026-02"}, today) == ["2026-01", "2026-03"]
    assert periods.due_for_closing([POLICY], set(), at(2026, 4, 9).today()) == [
        "2026-01", "2026-02"]
    assert periods.due_for_closing([], set(), today) == []


def test_due_for_closing_across_the_year_end() -> None:
    late = POLICY.model_copy(update={"version": "late", "effective_from": "2026-11"})
    due = periods.due_for_closing([late], set(), at(2027, 1, 10).today())
    assert due == ["2026-11", "2026-12"]


def test_last_locked() -> None:
    assert periods.last_locked([POLICY], set(), at(2026, 4, 9).today()) == "2026-02"
    assert periods.last_locked([POLICY], {"2026-03"}, at(2026, 4, 9).today()) == "2026-03"
    assert periods.last_locked([POLICY], set(), at(2026, 1, 20).today()) is None


def test_next_period() -> None:
    assert periods.next_period("2026-12") == "2027-01"
    assert periods.next_period("2026-09") == "2026-10"


def test_an_activity_dated_in_the_previous_month_is_refused_from_the_close_day() -> None:
    """The rule receives the lock as ``period_closed``; backdating alone would accept it."""
    policy = POLICY.model_copy(update={"backdating_days": 30})
    staff = "199001012015032001"
    command = c.ReportActivity(activity_id=uuid.uuid4(), nip=staff, work_date=date(2026, 3, 31),
                               minutes=60, description="Menyusun laporan")

    def report(clock: FixedClock) -> None:
        rules.report_activity(command, Principal(staff, "employee"),
                              rules.EmployeeFacts(staff, "U", False), 0,
                              locked("2026-03", clock), policy, clock.today())

    report(at(2026, 4, 9))
    with pytest.raises(Rejected) as info:
        report(at(2026, 4, 10))
    assert (info.value.code, info.value.status) == ("period_closed", 409)


def test_the_latest_effective_policy_governs_whatever_the_publication_order() -> None:
    # published later but effective earlier: the one effective from March still governs May
    march = POLICY.model_copy(update={"version": "march", "effective_from": "2026-03"})
    back_to_february = POLICY.model_copy(update={"version": "feb", "effective_from": "2026-02"})
    assert periods.governing([POLICY, march, back_to_february], "2026-05") is march
    assert periods.governing([POLICY, march, back_to_february], "2026-02") is back_to_february


def test_last_locked_with_a_single_period_locked_by_date() -> None:
    # 10 February: only January has reached its close day
    assert periods.last_locked([POLICY], set(), date(2026, 2, 10)) == "2026-01"
    assert periods.last_locked([POLICY], set(), date(2026, 2, 9)) is None
