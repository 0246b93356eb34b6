"""The attendance half of the policy (e-presensi): working calendars, public holidays,
shifts, deduction tiers and the justification deadline. Part of ``shared.policy.Policy``
(field ``attendance``); defaults and their sources are in DOMAIN.md ("Attendance and
discipline") and cited value by value in ``shared/policies/*.yaml``."""

from datetime import date
from itertools import pairwise
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from shared.strict import STRICT_INPUT, IsoDate

ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
"""A wall-clock time 'HH:MM' (00:00..23:59), local time of the unit (Asia/Jakarta)."""

AbsenceReason = Literal["sick", "leave", "duty_travel"]
"""Why an employee was away: sakit, cuti, dinas luar / perjalanan dinas."""


def minutes_of(clock_time: str) -> int:
    """Minutes since midnight of 'HH:MM'."""
    hours, minutes = clock_time.split(":")
    return int(hours) * 60 + int(minutes)


class Shift(BaseModel):
    """One shift of a unit that works shifts; it ends on the day it starts."""

    model_config = STRICT_INPUT

    name: str = Field(min_length=1, max_length=50, description="e.g. 'pagi', 'siang'.")
    start: ClockTime = Field(description="When the shift starts, HH:MM.")
    end: ClockTime = Field(description="When it ends, HH:MM (after start).")

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if minutes_of(self.end) <= minutes_of(self.start):
            raise ValueError(f"shift {self.name}: end must be after start (same day)")
        return self


class WorkCalendar(BaseModel):
    """When a unit works: a 5- or 6-day week from start to end, or shifts.

    A shift calendar has no fixed week: a day is expected when the feed reports it (a
    check-in, a check-out or an absence), since the duty roster is not in this system, and
    the shift of a day is the one whose start is nearest its first check-in."""

    model_config = STRICT_INPUT

    # an int in bounds, not Literal[5, 6]: a Literal takes 5.0 too, and 5.0 is no day count
    days_per_week: int = Field(5, ge=5, le=6,
                               description="5: Monday-Friday; 6: Monday-Saturday.")
    start: ClockTime = Field("07:30", description="Start of the working day, HH:MM.")
    end: ClockTime = Field("16:00", description="End of the working day, HH:MM.")
    shifts: list[Shift] = Field(default_factory=list,
                                description="The unit's shifts; empty for office hours.")

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if minutes_of(self.end) <= minutes_of(self.start):
            raise ValueError("end must be after start")
        names = [shift.name for shift in self.shifts]
        if len(set(names)) != len(names):
            raise ValueError(f"shifts: duplicate names in {names}")
        return self

    def works_on(self, day: date, holidays: frozenset[date]) -> bool:
        """Whether an office-hours calendar expects work on ``day``."""
        return day.weekday() < self.days_per_week and day not in holidays

    def hours_for(self, first_check_in: str | None) -> tuple[int, int]:
        """(start, end) in minutes of the day: office hours, or the shift nearest the
        first check-in (the first shift without one)."""
        if not self.shifts:
            return minutes_of(self.start), minutes_of(self.end)
        shift = self.shifts[0]
        if first_check_in is not None:
            arrived = minutes_of(first_check_in)
            shift = min(self.shifts, key=lambda s: abs(minutes_of(s.start) - arrived))
        return minutes_of(shift.start), minutes_of(shift.end)


class Tier(BaseModel):
    """Minutes late (or left early) of at least ``from_minutes`` cost ``deduction_pct``."""

    model_config = STRICT_INPUT

    from_minutes: int = Field(ge=1, le=24 * 60, description="Lowest minutes in the tier.")
    deduction_pct: float = Field(ge=0, le=100, description="Deduction for one such day, %.")


def _default_tiers() -> list[Tier]:
    # TL1..TL4 / PSW1..PSW4: 1-30, 31-60, 61-90, 91+ minutes
    return [Tier(from_minutes=m, deduction_pct=p)
            for m, p in ((1, 0.5), (31, 1.0), (61, 1.25), (91, 1.5))]


HOLIDAYS_2026 = (
    # libur nasional, SKB 3 Menteri 1497/2/5 of 2025
    "2026-01-01", "2026-01-16", "2026-02-17", "2026-03-19", "2026-03-21", "2026-03-22",
    "2026-04-03", "2026-04-05", "2026-05-01", "2026-05-14", "2026-05-27", "2026-05-31",
    "2026-06-01", "2026-06-16", "2026-08-17", "2026-08-25", "2026-12-25",
    # cuti bersama, the same decree
    "2026-02-16", "2026-03-18", "2026-03-20", "2026-03-23", "2026-03-24", "2026-05-15",
    "2026-05-28", "2026-12-24",
)
"""The default policy's holidays (the policy version is the year's)."""


def _default_holidays() -> list[date]:
    return sorted(date.fromisoformat(day) for day in HOLIDAYS_2026)


def _default_calendars() -> dict[str, WorkCalendar]:
    return {"five_day": WorkCalendar(),
            "six_day": WorkCalendar(days_per_week=6, end="14:30")}  # from 07:30 too


class AttendancePolicy(BaseModel):
    """What turns check-ins, check-outs and absences into a discipline percentage."""

    model_config = STRICT_INPUT

    calendars: dict[str, WorkCalendar] = Field(
        default_factory=_default_calendars, min_length=1, description="Calendars by name.")
    default_calendar: str = Field("five_day", description="Calendar of units not listed.")
    unit_calendars: dict[str, str] = Field(
        default_factory=dict, description="Unit code -> calendar name.")
    holidays: list[IsoDate] = Field(
        default_factory=_default_holidays, description="Public holidays and collective "
        "leave: no work expected on an office-hours calendar.")
    late_tiers: list[Tier] = Field(default_factory=_default_tiers, min_length=1,
                                   description="Lateness tiers (terlambat), ascending.")
    early_tiers: list[Tier] = Field(default_factory=_default_tiers, min_length=1,
                                    description="Leaving-early tiers (pulang cepat), ascending.")
    absence_deduction_pct: float = Field(
        3, ge=0, le=100, description="Deduction per working day absent without justification.")
    justification_deadline_day: int = Field(
        3, ge=1, le=28, description="Day of the next month until which (included) an "
        "absence may be justified.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        known = set(self.calendars)
        for name in [self.default_calendar, *self.unit_calendars.values()]:
            if name not in known:
                raise ValueError(f"calendar {name!r} is not in calendars")
        for label, tiers in (("late_tiers", self.late_tiers), ("early_tiers", self.early_tiers)):
            if any(a.from_minutes >= b.from_minutes for a, b in pairwise(tiers)):
                raise ValueError(f"{label}: from_minutes must strictly ascend")
        return self

    def calendar_for(self, unit: str) -> WorkCalendar:
        return self.calendars[self.unit_calendars.get(unit, self.default_calendar)]

    def justification_deadline(self, day: date) -> date:
        """The last day an absence on ``day`` may be justified: the deadline day of the
        month after ``day``'s."""
        if day.month == 12:
            return date(day.year + 1, 1, self.justification_deadline_day)
        return date(day.year, day.month + 1, self.justification_deadline_day)


def tier_of(minutes: int, tiers: list[Tier]) -> int | None:
    """The index of the tier ``minutes`` fall in; None below the first."""
    found = None
    for index, tier in enumerate(tiers):
        if minutes >= tier.from_minutes:
            found = index
    return found
