from datetime import date

import pytest

from shared.periods import (
    day_in_next_period,
    first_day,
    last_day,
    next_period,
    parse_period,
    period_of,
    previous_period,
)

pytestmark = pytest.mark.unit


def test_period_of_a_day() -> None:
    assert period_of(date(2026, 3, 31)) == "2026-03"
    assert period_of(date(999, 1, 1)) == "0999-01"


@pytest.mark.parametrize("bad", ["2026-3", "2026-13", "2026-00", "26-03", "2026/03", "x-03"])
def test_parse_refuses_what_is_no_month(bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        parse_period(bad)


def test_month_bounds_know_leap_years() -> None:
    assert (first_day("2024-02"), last_day("2024-02")) == (date(2024, 2, 1), date(2024, 2, 29))
    assert last_day("2026-02") == date(2026, 2, 28)
    assert last_day("2026-12") == date(2026, 12, 31)


def test_neighbours_cross_the_year() -> None:
    assert next_period("2026-12") == "2027-01"
    assert next_period("2026-03") == "2026-04"
    assert previous_period("2027-01") == "2026-12"
    assert previous_period("2026-04") == "2026-03"


def test_day_in_next_period() -> None:
    assert day_in_next_period("2026-12", 10) == date(2027, 1, 10)
    assert day_in_next_period("2026-03", 5) == date(2026, 4, 5)
