from datetime import date

import pytest

from services.intake.domain.nip import InvalidNip, NipInfo, normalise_nip, parse_nip

pytestmark = pytest.mark.unit

TODAY = date(2026, 3, 1)


def test_parses_the_perka_bkn_example() -> None:
    assert parse_nip("196804111993031009", today=TODAY) == NipInfo(
        birth_date=date(1968, 4, 11), appointed=(1993, 3), gender="male", sequence=9
    )


def test_tolerates_spaces_and_normalises_them_away() -> None:
    assert parse_nip("19680411 199303 1 009") == parse_nip("196804111993031009")
    assert normalise_nip("19680411 199303 1 009") == "196804111993031009"


def test_gender_digit_two_is_female() -> None:
    assert parse_nip("199001012015032123").gender == "female"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("19680411199303100", "NIP must have 18 digits, got 17"),
        ("1968041119930310091", "NIP must have 18 digits, got 19"),
        ("19680411199303100x", "NIP '19680411199303100x' must contain only digits"),
        ("196813411993031009", "birth date 19681341 is not a real date"),
        ("196802301993031009", "birth date 19680230 is not a real date"),
        ("196804111993131009", "appointment month 13 in 199313 is not 01..12"),
        ("196804111993001009", "appointment month 00 in 199300 is not 01..12"),
        (
            "196804111982031009",
            "appointment year 1982 is less than 15 years after birth year 1968",
        ),
        ("196804111993033009", "gender digit 3 must be 1 (male) or 2 (female)"),
        ("196804111993031000", "sequence 000 must be 001..999"),
    ],
)
def test_rejects_with_a_reason_naming_the_part(text: str, reason: str) -> None:
    with pytest.raises(InvalidNip) as caught:
        parse_nip(text, today=TODAY)
    assert caught.value.reason.startswith(reason)
    assert isinstance(caught.value, ValueError)


def test_appointment_after_the_current_year_is_rejected_only_with_today() -> None:
    nip = "199001012027031001"
    assert parse_nip(nip).appointed == (2027, 3)
    with pytest.raises(InvalidNip, match="appointment year 2027 is after the current year 2026"):
        parse_nip(nip, today=TODAY)


def test_birth_date_in_the_future_is_rejected_with_today() -> None:
    with pytest.raises(InvalidNip, match="birth date 20270101 is in the future"):
        parse_nip("202701012045031001", today=TODAY)


def test_appointment_exactly_fifteen_years_after_birth_is_the_lowest_accepted() -> None:
    # born 1990, appointed 2005: 15 years, the lenient minimum; 2004 is one year short
    assert parse_nip("199001012005032001", today=TODAY).appointed == (2005, 3)
    with pytest.raises(InvalidNip, match="appointment year 2004 is less than 15 years"):
        parse_nip("199001012004032001", today=TODAY)


def test_appointment_in_the_current_year_and_birth_on_today_pass_their_own_checks() -> None:
    assert parse_nip("199001012026032001", today=TODAY).appointed == (2026, 3)
    # born today: not "in the future"; it fails later, on the appointment age
    with pytest.raises(InvalidNip, match=r"^appointment year 2026 is less than 15"):
        parse_nip("202603012026032001", today=TODAY)
