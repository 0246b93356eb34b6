"""Money rules of intake (NPWP, finance data, SP2D) and the TPP part of the policy. Pure."""

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.domain.finance import npwp_problem, record_finance_data, record_payment
from shared.auth import Principal
from shared.authority import allows
from shared.events import FinanceDataRecorded, PaymentRecorded
from shared.policy import TppPolicy, default_policy_path, load_policy

pytestmark = pytest.mark.unit

NIP = "196804111993031009"
ADMIN = Principal("admin", "admin")
TREASURER = Principal("bendahara", "treasurer")
TODAY = date(2026, 4, 20)
WOMAN_NIK = "3201014101900001"  # West Java 32, 01, 01; born 1 Jan 1990, a woman (41); 0001


@pytest.mark.parametrize("npwp", [
    WOMAN_NIK, "3201010101900001", "1101013112990001", "9471017112990009",
    "3201011201901234", "0123456789012345", "0000000000000001"])
def test_valid_npwp(npwp: str) -> None:
    assert npwp_problem(npwp) is None


@pytest.mark.parametrize(("npwp", "problem"), [
    ("123456789012345", "16 digits"),                     # the old 15 digits, no leading 0
    ("01.234.567.8-901.234", "16 digits"),                # punctuated
    ("32010141019000011", "16 digits"),                   # 17 digits
    ("320101410190000a", "16 digits"),
    ("\u0663" * 16, "16 digits"),                         # Arabic-Indic digits are no digits
    ("0000000000000000", "all zeros"),
    ("1001014101900001", "province code 11"),             # province 10
    ("3201013201900001", "birth day"),                    # day 32
    ("3201010001900001", "birth day"),                    # day 00
    ("3201014001900001", "birth day"),                    # 40: neither a man's nor a woman's
    ("3201017201900001", "birth day"),                    # 72 - 40 = 32
    ("3201010113900001", "birth month"),                  # month 13
    ("3201010100900001", "birth month"),                  # month 00
    ("3201010101900000", "sequence"),
])
def test_invalid_npwp(npwp: str, problem: str) -> None:
    found = npwp_problem(npwp)
    assert found is not None and problem in found


def test_npwp_refusals_word_for_word() -> None:
    said = {npwp: npwp_problem(npwp) for npwp in (
        "123", "0000000000000000", "1001014101900001", "3201013201900001",
        "3201010113900001", "3201010101900000")}
    assert said == {
        "123": "16 digits and nothing else (PMK 112/2022); write a 15-digit NPWP with a "
               "leading 0",
        "0000000000000000": "the 15-digit NPWP after the leading 0 is all zeros",
        "1001014101900001": "a NIK begins with a province code 11..99",
        "3201013201900001": "digits 7-8 (birth day, +40 for women) are no day",
        "3201010113900001": "digits 9-10 (birth month) are no month",
        "3201010101900000": "digits 13-16 (sequence) are 0000",
    }


def finance(npwp: str = WOMAN_NIK, **changes: Any) -> c.RecordFinanceData:
    fields = {"nip": NIP, "npwp": npwp, "bank_name": "Bank Jatim",
              "bank_account": "0011223344", **changes}
    return c.RecordFinanceData.model_validate(fields)


def test_finance_data_is_recorded_by_an_admin() -> None:
    assert record_finance_data(finance(), ADMIN, True) == FinanceDataRecorded(
        nip=NIP, npwp=WOMAN_NIK, bank_name="Bank Jatim", bank_account="0011223344")


@pytest.mark.parametrize("role", ["treasurer", "auditor", "employee", "superior", "dashboard",
                                  "eservice"])
def test_only_an_admin_records_finance_data(role: str) -> None:
    with pytest.raises(Rejected) as refused:
        record_finance_data(finance(), Principal(NIP, role), True)  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.status) == ("role_not_allowed", 403)


def test_finance_data_refusals_never_repeat_the_value() -> None:
    with pytest.raises(Rejected) as refused:
        record_finance_data(finance("3201013201900001"), ADMIN, True)
    assert (refused.value.code, refused.value.field) == ("invalid_npwp", "npwp")
    assert "3201013201900001" not in refused.value.message
    with pytest.raises(Rejected) as unknown:
        record_finance_data(finance(), ADMIN, False)
    assert (unknown.value.code, unknown.value.status, unknown.value.field,
            unknown.value.message) == ("unknown_employee", 404, "nip",
                                       "nip: no employee with this NIP")


def test_bank_account_and_npwp_shapes_are_strict() -> None:
    for bad in ("12345", "1" * 21, "0011-2233", 1122334455):
        with pytest.raises(ValidationError):
            finance(bank_account=bad)
    with pytest.raises(ValidationError):
        c.RecordFinanceData.model_validate({"nip": NIP, "npwp": 3201014101900001,
                                            "bank_name": "B", "bank_account": "0011223344"})


def payment(day: date) -> c.RecordPayment:
    return c.RecordPayment(period="2026-03", unit="BKPSDM", sp2d_number="00123/SP2D/2026",
                           sp2d_date=day)


def test_a_treasurer_records_the_sp2d_of_a_closed_month() -> None:
    event = record_payment(payment(date(2026, 4, 1)), TREASURER, True, TODAY)
    assert event == PaymentRecorded(period="2026-03", unit="BKPSDM",
                                    sp2d_number="00123/SP2D/2026", sp2d_date=date(2026, 4, 1))
    assert record_payment(payment(TODAY), TREASURER, True, TODAY).sp2d_date == TODAY


@pytest.mark.parametrize(("day", "code", "message"), [
    (date(2026, 3, 31), "sp2d_before_period_end",   # the month's last day
     "sp2d_date: 2026-03-31 is not after the month paid"),
    (date(2026, 4, 21), "sp2d_in_future",           # the day after today
     "sp2d_date: 2026-04-21 is after today"),
])
def test_sp2d_dates(day: date, code: str, message: str) -> None:
    with pytest.raises(Rejected) as refused:
        record_payment(payment(day), TREASURER, True, TODAY)
    assert (refused.value.code, refused.value.field, refused.value.message) == (
        code, "sp2d_date", message)


def test_no_sp2d_for_an_open_month_nor_by_another_role() -> None:
    with pytest.raises(Rejected) as open_month:
        record_payment(payment(TODAY), TREASURER, False, TODAY)
    assert (open_month.value.code, open_month.value.status, open_month.value.field,
            open_month.value.message) == (
        "period_not_closed", 409, "period",
        "period: 2026-03 is not closed; its listing is not final")
    with pytest.raises(Rejected) as admin:
        record_payment(payment(TODAY), ADMIN, True, TODAY)
    assert admin.value.code == "role_not_allowed"


def test_who_reads_finance_data() -> None:
    readers = {role for role in ("admin", "treasurer", "auditor", "dashboard", "employee",
                                 "superior", "eservice") if allows(role, "read_finance")}
    assert readers == {"admin", "treasurer"}
    assert not allows("treasurer", "read_all")


# -- the TPP part of the policy -------------------------------------------------------------------

def tpp(**changes: Any) -> TppPolicy:
    return TppPolicy.model_validate({**TppPolicy().model_dump(), **changes})


def test_default_tpp_is_the_shipped_files() -> None:
    for name in ("erk-default-2026.1.yaml", "erk-berakhlak-2026.1.yaml"):
        assert load_policy(default_policy_path().parent / name).tpp == TppPolicy()
    base = TppPolicy().base["office"]
    assert (base[0], base[15], len(base)) == (3_185_000, 43_125_000, 17)


@pytest.mark.parametrize(("changes", "message"), [
    ({"performance_weight": 60, "discipline_weight": 30}, "must be 100, got 90"),
    ({"performance_weight": 70, "discipline_weight": 40}, "must be 100, got 110"),
    ({"base": {"office": [1] * 16}}, "needs 17 amounts"),
    ({"base": {"office": [1] * 18}}, "needs 17 amounts"),
    ({"base": {"office": [-1] + [1] * 16}}, "must not be negative"),
    ({"default_unit_type": "school"}, "unit type school has no base table"),
    ({"unit_types": {"SMA-1": "school"}}, "unit type school has no base table"),
    ({"cap": 0}, "greater than 0"),
    ({"tax_rate_pct": 100}, "less than 100"),
    ({"tax_rate_pct": -1}, "greater than or equal to 0"),
    ({"base": {}}, "at least 1"),
])
def test_tpp_policy_refusals(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        tpp(**changes)


def test_tpp_policy_accepts_edges() -> None:
    assert tpp(performance_weight=100, discipline_weight=0).discipline_weight == 0
    assert tpp(base={"office": [0] * 17}, cap=1, tax_rate_pct=0).cap == 1
    mapped = tpp(base={"office": [1] * 17, "school": [2] * 17}, unit_types={"SMA-1": "school"})
    assert (mapped.base_amount("SMA-1", 17), mapped.base_amount("X", 1)) == (2, 1)
    assert (mapped.unit_type("SMA-1"), mapped.unit_type("X")) == ("school", "office")
    with pytest.raises(ValidationError):
        tpp(cap="50000000")
