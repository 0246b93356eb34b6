"""Period arithmetic, in one place: an appraisal period is a calendar month 'YYYY-MM'."""

import calendar
from datetime import date


def period_of(day: date) -> str:
    """The period a day falls in: 2026-03-31 -> '2026-03'."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(period: str) -> tuple[int, int]:
    """'YYYY-MM' -> (year, month); ValueError naming the period otherwise."""
    parts = period.split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or list(map(len, parts)) != [4, 2]:
        raise ValueError(f"period {period!r} is not YYYY-MM")
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12:
        raise ValueError(f"period {period!r} has month {parts[1]}, not 01..12")
    return year, month


def first_day(period: str) -> date:
    year, month = parse_period(period)
    return date(year, month, 1)


def last_day(period: str) -> date:
    year, month = parse_period(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def next_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def day_in_next_period(period: str, day: int) -> date:
    """``day`` of the month after ``period`` (a close day, a payment day)."""
    return first_day(next_period(period)).replace(day=day)
