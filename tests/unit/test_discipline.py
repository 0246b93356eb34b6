"""The discipline rules (``domain.discipline``) on hand-computed months.

July 2026 has no holiday and starts on a Wednesday: 23 weekdays, 27 days Monday-Saturday.
August 2026 starts on a Saturday: 21 weekdays, two of them holidays (17 and 25 August).
Default tiers: 1-30 min 0.5 %, 31-60 1 %, 61-90 1.25 %, 91+ 1.5 %; absence 3 % a day.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.appraisal.domain.discipline import (
    AttendanceDay,
    Justification,
    discipline_month,
)
from shared.policy import Policy, default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
NIP = "199001012015032001"


def july(day: int) -> date:
    return date(2026, 7, day)


def present(day: date, check_in: str | None = "07:30",
            check_out: str | None = "16:00") -> AttendanceDay:
    return AttendanceDay(day, check_in, check_out)


def weekdays(first: date, last: date) -> list[date]:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [day for day in days if day.weekday() < 5]


def month(days: list[AttendanceDay], justifications: tuple[Justification, ...] = (),
          policy: Policy = POLICY, unit: str = "BKPSDM", final: bool = False,
          period: str = "2026-07") -> Any:
    return discipline_month(NIP, period, unit, days, justifications, policy, final)


def with_attendance(**changes: Any) -> Policy:
    document = POLICY.model_dump(mode="json")
    document["attendance"] = {**document["attendance"], **changes}
    return Policy.model_validate(document)


def test_on_time_every_day_is_a_full_hundred() -> None:
    result = month([present(july(1)), present(july(2), "07:00", "16:30")])
    assert (result.days_expected, result.days_present) == (2, 2)
    assert result.percentage == Decimal("100.00")
    assert (result.late_minutes, result.left_early_minutes) == (0, 0)
    assert result.late_days_by_tier == (0, 0, 0, 0)
    assert result.reasons == (
        "2 working days expected, through 2026-07-02 (5-day week 07:30-16:00)",
        "discipline 100%")
    assert (result.state, result.counted_through) == ("provisional", july(2))


def test_late_in_each_tier_costs_that_tiers_deduction() -> None:
    # 1 min (tier 1), 31 (tier 2), 61 (tier 3), 91 (tier 4), 30 (tier 1 still):
    # 0.5 + 1 + 1.25 + 1.5 + 0.5 = 4.75 -> 95.25
    days = [present(july(1), "07:31"), present(july(2), "08:01"), present(july(3), "08:31"),
            present(july(6), "09:01"), present(july(7), "08:00")]
    result = month(days)
    assert result.days_expected == 5  # 4 and 5 July are the weekend
    assert result.late_days_by_tier == (2, 1, 1, 1)
    assert result.late_minutes == 1 + 31 + 61 + 91 + 30
    assert result.deduction_pct == Decimal("4.75")
    assert result.percentage == Decimal("95.25")
    assert "late 31 min on 2026-07-02 (tier 2, 31-60 min): -1%" in result.reasons
    assert "late 91 min on 2026-07-06 (tier 4, 91+ min): -1.5%" in result.reasons
    assert "late 30 min on 2026-07-07 (tier 1, 1-30 min): -0.5%" in result.reasons


def test_leaving_early_and_missing_check_out_or_check_in() -> None:
    # left 1 min early: 0.5; 60 min early: 1; no check-out: top tier 1.5; no check-in: 1.5
    days = [present(july(1), check_out="15:59"), present(july(2), check_out="15:00"),
            present(july(3), check_out=None), present(july(6), check_in=None)]
    result = month(days)
    assert result.left_early_days_by_tier == (1, 1, 0, 1)
    assert result.late_days_by_tier == (0, 0, 0, 1)
    assert (result.left_early_minutes, result.late_minutes) == (61, 0)
    assert result.percentage == Decimal("95.50")
    assert result.days_present == 4
    assert ("no check-out on 2026-07-03: counted as leaving early (tier 4, 91+ min): -1.5%"
            in result.reasons)
    assert "no check-in on 2026-07-06: counted as late (tier 4, 91+ min): -1.5%" in result.reasons


def _away_on_the_2nd(submitted_on: date, status: str = "approved") -> Any:
    justification = Justification(july(2), july(2), "sick", status,  # type: ignore[arg-type]
                                  submitted_on)
    return month([present(july(1)), present(july(3))], (justification,))


def test_an_absence_justified_by_the_deadline_costs_nothing() -> None:
    result = _away_on_the_2nd(date(2026, 8, 3))  # the deadline day itself
    assert (result.days_expected, result.days_present) == (3, 2)
    assert (result.absent_justified, result.absent_unjustified) == (1, 0)
    assert result.percentage == Decimal("100.00")
    assert ("away on 2026-07-02 (sick, justification approved): no deduction"
            in result.reasons)


def test_an_absence_justified_after_the_deadline_counts_as_unjustified() -> None:
    result = _away_on_the_2nd(date(2026, 8, 4))
    assert (result.absent_justified, result.absent_unjustified) == (0, 1)
    assert result.percentage == Decimal("97.00")
    assert result.reasons[1:] == (
        "the justification of 2026-07-02 came on 2026-08-04, after the deadline 2026-08-03: "
        "not counted",
        "absent without justification 1 day(s) (2026-07-02): -3% (3% a day)",
        "discipline 97%")


@pytest.mark.parametrize(("status", "why"), [
    ("pending", "the justification of 2026-07-02 waits for the unit head: counted as "
                "unjustified until approved"),
    ("rejected", "the justification of 2026-07-02 was rejected")])
def test_a_pending_or_rejected_justification_does_not_count(status: str, why: str) -> None:
    result = _away_on_the_2nd(date(2026, 7, 3), status)
    assert result.absent_unjustified == 1
    assert result.percentage == Decimal("97.00")
    assert why in result.reasons


def test_an_absence_the_source_knows_the_reason_of_is_justified() -> None:
    days = [present(july(1)), AttendanceDay(july(2), absent=True, absence_reason="duty_travel"),
            AttendanceDay(july(3), absent=True)]
    result = month(days)
    assert (result.absent_justified, result.absent_unjustified) == (1, 1)
    assert result.percentage == Decimal("97.00")


def test_holidays_are_not_expected() -> None:
    # 3..18 August: 12 weekdays, 17 August (Proklamasi) is a holiday -> 11 expected
    days = [present(day) for day in weekdays(date(2026, 8, 3), date(2026, 8, 18))
            if day != date(2026, 8, 17)]
    result = month(days, period="2026-08")
    assert (result.days_expected, result.days_present, result.absent_unjustified) == (11, 11, 0)
    assert result.percentage == Decimal("100.00")
    plain = with_attendance(holidays=[])
    without = month(days, policy=plain, period="2026-08")
    assert (without.days_expected, without.absent_unjustified) == (12, 1)
    assert without.percentage == Decimal("97.00")


def test_a_closed_month_counts_every_working_day() -> None:
    # every July weekday present: a 5-day unit is at 100; a 6-day unit misses 4 Saturdays
    days = [present(day, check_out="14:30") for day in weekdays(july(1), july(31))]
    six = with_attendance(unit_calendars={"SMA-1": "six_day"})
    five_day = month([present(d.day) for d in days], final=True)
    assert (five_day.days_expected, five_day.percentage) == (23, Decimal("100.00"))
    assert five_day.state == "final" and five_day.counted_through == july(31)
    six_day = month(days, policy=six, unit="SMA-1", final=True)
    assert (six_day.days_expected, six_day.absent_unjustified) == (27, 4)
    assert six_day.percentage == Decimal("88.00")  # 100 - 4 x 3
    assert six_day.reasons[0] == ("27 working days expected, the whole month "
                                  "(6-day week 07:30-14:30)")


def test_the_percentage_never_falls_below_zero() -> None:
    result = month([], policy=with_attendance(absence_deduction_pct=5), final=True)
    assert result.absent_unjustified == 23
    assert result.deduction_pct == Decimal(115)
    assert result.percentage == Decimal("0.00")


def test_a_month_without_attendance_expects_nothing_while_open() -> None:
    result = month([])
    assert (result.days_expected, result.counted_through) == (0, None)
    assert result.percentage == Decimal("100.00")
    assert result.reasons[0] == "no attendance recorded yet (5-day week 07:30-16:00)"


def test_a_justification_alone_extends_the_days_counted() -> None:
    away = Justification(july(6), july(7), "leave", "approved", july(8))
    result = month([present(july(1))], (away,))
    # 1, 2, 3, 6, 7 July: 2 and 3 are absent without justification
    assert result.days_expected == 5
    assert (result.absent_justified, result.absent_unjustified) == (2, 2)
    assert result.percentage == Decimal("94.00")


SHIFTS = with_attendance(
    calendars={"five_day": {"days_per_week": 5, "start": "07:30", "end": "16:00"},
               "igd": {"days_per_week": 6, "start": "07:00", "end": "21:00", "shifts": [
                   {"name": "pagi", "start": "07:00", "end": "14:00"},
                   {"name": "siang", "start": "14:00", "end": "21:00"}]}},
    unit_calendars={"RSUD-IGD": "igd"})


def test_a_shift_unit_is_expected_on_the_days_reported_in_the_nearest_shift() -> None:
    # Saturday 4 July, siang shift 14:00-21:00: 5 min late (0.5); Sunday 5 July, pagi
    # 07:00-14:00, left 20 min early (0.5); no other day is expected, even when closed
    days = [present(july(4), "14:05", "21:00"), present(july(5), "06:55", "13:40")]
    result = month(days, policy=SHIFTS, unit="RSUD-IGD", final=True)
    assert (result.days_expected, result.days_present) == (2, 2)
    assert (result.late_minutes, result.left_early_minutes) == (5, 20)
    assert result.percentage == Decimal("99.00")
    assert result.reasons[0] == ("2 working days expected, the whole month "
                                 "(shifts pagi 07:00-14:00, siang 14:00-21:00)")


def test_records_of_another_month_are_ignored() -> None:
    result = month([present(july(1)), present(date(2026, 8, 3), "10:00")])
    assert (result.days_expected, result.late_minutes) == (1, 0)


@pytest.mark.parametrize(("day", "deadline"), [
    (date(2026, 7, 1), date(2026, 8, 3)), (date(2026, 7, 31), date(2026, 8, 3)),
    (date(2026, 12, 15), date(2027, 1, 3))])
def test_the_justification_deadline_is_the_policy_day_of_the_next_month(
        day: date, deadline: date) -> None:
    assert POLICY.attendance.justification_deadline(day) == deadline
    assert with_attendance(justification_deadline_day=5).attendance.justification_deadline(
        day) == deadline.replace(day=5)


def test_lateness_and_absences_add_up_with_their_reasons() -> None:
    # 1 July 5 min late and 1 min early (0.5 + 0.5), 2 and 3 July absent (2 x 3)
    result = month([present(july(1), "07:35", "15:59"), present(july(6))])
    assert (result.nip, result.period, result.policy_version) == (
        NIP, "2026-07", "erk-default-2026.1")
    assert result.deduction_pct == Decimal("7.00")
    assert result.percentage == Decimal("93.00")
    assert result.reasons[1:] == (
        "late 5 min on 2026-07-01 (tier 1, 1-30 min): -0.5%",
        "left 1 min early on 2026-07-01 (tier 1, 1-30 min): -0.5%",
        "absent without justification 2 day(s) (2026-07-02, 2026-07-03): -6% (3% a day)",
        "discipline 93%")


def test_every_absence_the_source_explains_counts() -> None:
    days = [AttendanceDay(july(1), absent=True, absence_reason="duty_travel"),
            AttendanceDay(july(2), absent=True, absence_reason="leave")]
    result = month(days)
    assert (result.absent_justified, result.absent_unjustified) == (2, 0)
    assert result.reasons[1] == ("away on 2026-07-01 (duty_travel, as the attendance source "
                                 "recorded it): no deduction")


def test_december_is_a_december() -> None:
    # 23 weekdays, 24 and 25 December are holidays: 21 absences -> 100 - 63
    result = month([], final=True, period="2026-12")
    assert (result.days_expected, result.absent_unjustified) == (21, 21)
    assert result.percentage == Decimal("37.00")
    assert result.counted_through == date(2026, 12, 31)


def test_nothing_left_reads_zero() -> None:
    result = month([], policy=with_attendance(absence_deduction_pct=5), final=True)
    assert result.reasons[-1] == "discipline 0%"


def test_an_open_shift_month_counts_its_last_day_and_the_first_shift_without_check_in() -> (
    None
):
    # 4 July only a check-out at 13:50: no check-in (1.5), the first shift (pagi, to 14:00)
    # left 10 min early (0.5); 6 July pagi on time
    days = [present(july(4), None, "13:50"), present(july(6), "07:00", "14:00")]
    result = month(days, policy=SHIFTS, unit="RSUD-IGD")
    assert (result.days_expected, result.counted_through) == (2, july(6))
    assert (result.left_early_minutes, result.left_early_days_by_tier) == (10, (1, 0, 0, 0))
    assert result.percentage == Decimal("98.00")
