"""Discipline per employee and month, from attendance: days expected and present, lateness
and leaving early by tier, absences justified or not, and the percentage after the policy's
deductions (``policy.attendance``), with its reasons in words.

The formula: percentage = max(0, 100 - deductions), where each expected day costs
- absent without (an approved, timely) justification: ``absence_deduction_pct``;
- present: the tier of its minutes late (first check-in after the start) plus the tier of
  its minutes left early (last check-out before the end); a day without check-in counts in
  the top late tier, one without check-out in the top leaving-early tier.
A day is expected on an office calendar when its weekday is worked (5- or 6-day week) and
it is no holiday; on a shift calendar when the feed reported it or a justification names it
(the duty roster is not in the system). While the period is open, days are counted through
the last day the employee's attendance or justifications name; once closed, the whole month.
Deductions are decimal percentages, added exactly; the percentage keeps two decimals.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from shared.attendance_policy import Tier, WorkCalendar, minutes_of, tier_of
from shared.policy import Policy

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class AttendanceDay:
    """What the feed said of one day: the first check-in, the last check-out, and whether an
    absence was recorded (with the reason the source knew, if any)."""

    day: date
    check_in: str | None = None
    check_out: str | None = None
    absent: bool = False
    absence_reason: str | None = None


@dataclass(frozen=True)
class Justification:
    """An employee's justification of days away, as it stands."""

    first_day: date
    last_day: date
    reason: str
    status: Literal["pending", "approved", "rejected"]
    submitted_on: date

    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]


@dataclass(frozen=True)
class DisciplineMonth:
    """One employee's discipline for one month."""

    nip: str
    period: str
    policy_version: str
    days_expected: int
    days_present: int
    late_minutes: int
    late_days_by_tier: tuple[int, ...]
    left_early_minutes: int
    left_early_days_by_tier: tuple[int, ...]
    absent_justified: int
    absent_unjustified: int
    deduction_pct: Decimal
    percentage: Decimal
    state: Literal["final", "provisional"]
    counted_through: date | None
    reasons: tuple[str, ...]


@dataclass
class _Tally:
    """The month's counts as the days are walked."""

    late: list[int]
    early: list[int]
    present: int = 0
    late_minutes: int = 0
    early_minutes: int = 0
    justified: int = 0
    unjustified: list[date] = field(default_factory=list)
    deduction: Decimal = Decimal(0)
    reasons: list[str] = field(default_factory=list)


def month_days(period: str) -> list[date]:
    year, month = int(period[:4]), int(period[5:])
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def discipline_month(nip: str, period: str, unit: str, days: Iterable[AttendanceDay],
                     justifications: Iterable[Justification], policy: Policy,
                     final: bool) -> DisciplineMonth:
    """The discipline of ``nip`` for ``period`` under ``policy`` (its ``attendance`` part)."""
    rules = policy.attendance
    recorded = {d.day: d for d in days if d.day.isoformat()[:7] == period}
    justified = list(justifications)
    through = _through(period, recorded, justified, final)
    work = rules.calendar_for(unit)
    expected = _expected(period, work, frozenset(rules.holidays), recorded, justified, through)
    tally = _Tally(late=[0] * len(rules.late_tiers), early=[0] * len(rules.early_tiers))
    tally.reasons.append(_expected_reason(len(expected), work, through, final))
    for day in expected:
        _count_day(tally, recorded.get(day), day, justified, work, policy)
    _absence_deduction(tally, Decimal(str(rules.absence_deduction_pct)))
    percentage = max(Decimal(0), HUNDRED - tally.deduction).quantize(CENT)
    tally.reasons.append(f"discipline {_pct(percentage)}%")
    return DisciplineMonth(
        nip=nip, period=period, policy_version=policy.version, days_expected=len(expected),
        days_present=tally.present, late_minutes=tally.late_minutes,
        late_days_by_tier=tuple(tally.late), left_early_minutes=tally.early_minutes,
        left_early_days_by_tier=tuple(tally.early), absent_justified=tally.justified,
        absent_unjustified=len(tally.unjustified), deduction_pct=tally.deduction,
        percentage=percentage, state="final" if final else "provisional",
        counted_through=through, reasons=tuple(tally.reasons))


def _through(period: str, recorded: dict[date, AttendanceDay],
             justified: list[Justification], final: bool) -> date | None:
    """The last day counted: the month's last when final, else the last one named."""
    if final:
        return month_days(period)[-1]
    named = [*recorded, *(day for j in justified for day in j.days())]
    in_month = [day for day in named if day.isoformat()[:7] == period]
    return max(in_month, default=None)


def _expected(period: str, work: WorkCalendar, holidays: frozenset[date],
              recorded: dict[date, AttendanceDay], justified: list[Justification],
              through: date | None) -> list[date]:
    if through is None:
        return []
    if work.shifts:
        named = set(recorded) | {day for j in justified for day in j.days()}
        return [day for day in month_days(period) if day in named and day <= through]
    return [day for day in month_days(period) if day <= through and work.works_on(day, holidays)]


def _expected_reason(count: int, work: WorkCalendar, through: date | None,
                     final: bool) -> str:
    week = ("shifts " + ", ".join(f"{s.name} {s.start}-{s.end}" for s in work.shifts)
            if work.shifts else f"{work.days_per_week}-day week {work.start}-{work.end}")
    if through is None:
        return f"no attendance recorded yet ({week})"
    span = "the whole month" if final else f"through {through.isoformat()}"
    return f"{count} working days expected, {span} ({week})"


def _count_day(tally: _Tally, record: AttendanceDay | None, day: date,
               justified: list[Justification], work: WorkCalendar, policy: Policy) -> None:
    if record is not None and (record.check_in or record.check_out):
        tally.present += 1
        _lateness(tally, record, day, work, policy)
        return
    if record is not None and record.absence_reason:
        tally.justified += 1
        tally.reasons.append(f"away on {day.isoformat()} ({record.absence_reason}, as the "
                             "attendance source recorded it): no deduction")
        return
    _absence(tally, day, justified, policy)


def _lateness(tally: _Tally, record: AttendanceDay, day: date, work: WorkCalendar,
              policy: Policy) -> None:
    start, end = work.hours_for(record.check_in)
    rules = policy.attendance
    if record.check_in is None:
        _tiered(tally, tally.late, rules.late_tiers, len(rules.late_tiers) - 1,
                f"no check-in on {day.isoformat()}: counted as late")
    else:
        late = minutes_of(record.check_in) - start
        tally.late_minutes += max(late, 0)
        index = tier_of(late, rules.late_tiers)
        if index is not None:
            _tiered(tally, tally.late, rules.late_tiers, index,
                    f"late {late} min on {day.isoformat()}")
    if record.check_out is None:
        _tiered(tally, tally.early, rules.early_tiers, len(rules.early_tiers) - 1,
                f"no check-out on {day.isoformat()}: counted as leaving early")
    else:
        early = end - minutes_of(record.check_out)
        tally.early_minutes += max(early, 0)
        index = tier_of(early, rules.early_tiers)
        if index is not None:
            _tiered(tally, tally.early, rules.early_tiers, index,
                    f"left {early} min early on {day.isoformat()}")


def _tiered(tally: _Tally, counts: list[int], tiers: list[Tier], index: int,
            what: str) -> None:
    counts[index] += 1
    deduction = Decimal(str(tiers[index].deduction_pct))
    tally.deduction += deduction
    tally.reasons.append(f"{what} ({_tier_label(tiers, index)}): -{_pct(deduction)}%")


def _tier_label(tiers: list[Tier], index: int) -> str:
    low = tiers[index].from_minutes
    if index + 1 == len(tiers):
        return f"tier {index + 1}, {low}+ min"
    return f"tier {index + 1}, {low}-{tiers[index + 1].from_minutes - 1} min"


def _absence(tally: _Tally, day: date, justified: list[Justification],
             policy: Policy) -> None:
    deadline = policy.attendance.justification_deadline(day)
    covering = [j for j in justified if j.first_day <= day <= j.last_day]
    timely = [j for j in covering if j.submitted_on <= deadline]
    approved = [j for j in timely if j.status == "approved"]
    if approved:
        tally.justified += 1
        tally.reasons.append(f"away on {day.isoformat()} ({approved[0].reason}, "
                             "justification approved): no deduction")
        return
    tally.unjustified.append(day)
    if len(timely) < len(covering):
        late = max(j.submitted_on for j in covering)
        tally.reasons.append(f"the justification of {day.isoformat()} came on "
                             f"{late.isoformat()}, after the deadline "
                             f"{deadline.isoformat()}: not counted")
    elif any(j.status == "pending" for j in timely):
        tally.reasons.append(f"the justification of {day.isoformat()} waits for the unit "
                             "head: counted as unjustified until approved")
    elif timely:
        tally.reasons.append(f"the justification of {day.isoformat()} was rejected")


def _absence_deduction(tally: _Tally, per_day: Decimal) -> None:
    if not tally.unjustified:
        return
    total = per_day * len(tally.unjustified)
    tally.deduction += total
    days = ", ".join(day.isoformat() for day in tally.unjustified)
    tally.reasons.append(f"absent without justification {len(tally.unjustified)} "
                         f"day(s) ({days}): -{_pct(total)}% ({_pct(per_day)}% a day)")


def _pct(value: Decimal) -> str:
    """A percentage as people write it: 1.5, 3, 89.25."""
    # "0.00" -> "0.", then "0": the integer part always stays
    return f"{value.quantize(CENT):f}".rstrip("0").rstrip(".")
