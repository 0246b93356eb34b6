"""NIP (Nomor Induk Pegawai) parsing and checking, per Perka BKN 22/2007.

An 18-digit NIP is: birth date YYYYMMDD (8) + CPNS appointment YYYYMM (6)
+ gender digit 1/2 (1) + sequence 001..999 (3), e.g. ``19680411 199303 1 009``.
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal

NIP_LENGTH = 18
MIN_AGE_AT_APPOINTMENT = 15
"""Lenient lower bound (years) between birth year and appointment year."""

Gender = Literal["male", "female"]
_GENDERS: dict[str, Gender] = {"1": "male", "2": "female"}


class InvalidNip(ValueError):
    """A NIP that fails a check; ``reason`` names the part that is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NipInfo:
    """What an NIP tells about its holder."""

    birth_date: date
    appointed: tuple[int, int]
    """CPNS appointment (year, month)."""
    gender: Gender
    sequence: int


def normalise_nip(text: str) -> str:
    """Return the 18-digit form callers store: spaces removed, otherwise unchanged."""
    return text.replace(" ", "")


def parse_nip(text: str, today: date | None = None) -> NipInfo:
    """Parse and check a NIP, raising :class:`InvalidNip` with a reason on failure.

    Spaces are tolerated and stripped (``"19680411 199303 1 009"``); store the
    :func:`normalise_nip` form. Checks: 18 digits; a real birth date; appointment
    month 01..12; appointment year at least 15 years after the birth year; gender
    digit 1 or 2; sequence 001..999. When ``today`` is given, the birth date must
    not be after it and the appointment year not after its year (no clock is read here).
    """
    nip = normalise_nip(text)
    _check_shape(nip)
    birth = _birth_date(nip[0:8], today)
    appointed = _appointment(nip[8:14], birth, today)
    gender = _gender(nip[14])
    sequence = _sequence(nip[15:18])
    return NipInfo(birth_date=birth, appointed=appointed, gender=gender, sequence=sequence)


def _check_shape(nip: str) -> None:
    if not (nip.isascii() and nip.isdigit()):
        raise InvalidNip(f"NIP {nip!r} must contain only digits (spaces are allowed)")
    if len(nip) != NIP_LENGTH:
        raise InvalidNip(f"NIP must have {NIP_LENGTH} digits, got {len(nip)}")


def _birth_date(part: str, today: date | None) -> date:
    try:
        birth = date(int(part[0:4]), int(part[4:6]), int(part[6:8]))
    except ValueError:
        raise InvalidNip(f"birth date {part} is not a real date") from None
    if today is not None and birth > today:
        raise InvalidNip(f"birth date {part} is in the future")
    return birth


def _appointment(part: str, birth: date, today: date | None) -> tuple[int, int]:
    year, month = int(part[0:4]), int(part[4:6])
    if not 1 <= month <= 12:
        raise InvalidNip(f"appointment month {part[4:6]} in {part} is not 01..12")
    if year < birth.year + MIN_AGE_AT_APPOINTMENT:
        raise InvalidNip(
            f"appointment year {year} is less than {MIN_AGE_AT_APPOINTMENT} years "
            f"after birth year {birth.year}"
        )
    if today is not None and year > today.year:
        raise InvalidNip(f"appointment year {year} is after the current year {today.year}")
    return year, month


def _gender(digit: str) -> Gender:
    if digit not in _GENDERS:
        raise InvalidNip(f"gender digit {digit} must be 1 (male) or 2 (female)")
    return _GENDERS[digit]


def _sequence(part: str) -> int:
    if part == "000":
        raise InvalidNip("sequence 000 must be 001..999")
    return int(part)
