"""The one clock both services read "today" and "now" from.

Business dates (the backdating window, a period's close day, the month-to-date pace) are
calendar days in the agencies' zone, Asia/Jakarta (WIB) by default. Every rule takes
``today`` as an argument; only bootstraps and entrypoints hold a clock, so a test can pin
any day it wants. ``ERK_CLOCK_AT`` starts a whole process on a chosen instant (end-to-end
scenarios, demos); production refuses it.
"""

import time
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import Environment


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in the agencies' zone."""
        ...

    def today(self) -> date:
        """The current calendar day in the agencies' zone."""
        ...


class SystemClock:
    """The machine's clock, read in ``zone``."""

    def __init__(self, zone: str = "Asia/Jakarta") -> None:
        self.zone = ZoneInfo(zone)

    def now(self) -> datetime:
        return datetime.now(self.zone)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """Stands still until a test moves it."""

    def __init__(self, at: datetime, zone: str = "Asia/Jakarta") -> None:
        self.zone = ZoneInfo(zone)
        self.at = _aware(at).astimezone(self.zone)

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()

    def move_to(self, at: datetime) -> None:
        self.at = _aware(at).astimezone(self.zone)

    def advance(self, delta: timedelta) -> None:
        self.at += delta


class ShiftedClock:
    """Real time, shifted so that the process started at ``start``: a demo or an end-to-end
    run on a chosen date whose timestamps still move forward."""

    def __init__(self, start: datetime, zone: str = "Asia/Jakarta") -> None:
        self.zone = ZoneInfo(zone)
        self._start = _aware(start).astimezone(self.zone)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)

    def today(self) -> date:
        return self.now().date()


class ClockSettings(BaseSettings):
    """The business calendar. Env prefix ``ERK_CLOCK_``; both services read the same."""

    model_config = SettingsConfigDict(env_prefix="ERK_CLOCK_", extra="ignore")

    zone: str = Field("Asia/Jakarta", description="Zone whose calendar day 'today' means.")
    at: AwareDatetime | None = Field(
        None, description="Start the process's clock at this instant (tests, demos); "
        "refused in production.")


def make_clock(settings: ClockSettings, environment: Environment) -> Clock:
    if settings.at is None:
        return SystemClock(settings.zone)
    if environment == "prod":
        raise ValueError("ERK_CLOCK_AT is for tests and demos; production runs on real time")
    return ShiftedClock(settings.at, settings.zone)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no timezone")
    return at
