"""Which unit an employee belongs to on a day, with mid-month transfers: days before a
transfer's effective date stay with the unit before it. Plain values in and out."""

from collections.abc import Iterable
from datetime import date

Assignment = tuple[date, str]
"""(first day, unit) of one transfer."""


def unit_on(assignments: Iterable[Assignment], registered: str, day: date) -> str:
    """The unit of the latest transfer effective on or before ``day``; before any transfer,
    the unit the employee was registered with."""
    current = [assignment for assignment in assignments if assignment[0] <= day]
    return max(current)[1] if current else registered

