"""TPP amounts in Rupiah: every expected figure is worked out by hand in the comment beside
it, from the default policy (60/40, CPNS 80 %, cap Rp 50,000,000, tax 5 %) or a variant."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.appraisal.domain.payroll import (
    Amounts,
    decimal,
    plain,
    row_status,
    rupiah,
    tpp_amounts,
)
from services.appraisal.domain.payroll_listing import (
    FinanceData,
    Payee,
    Payment,
    mask_row,
    masked,
    payroll_row,
    totals,
)
from services.appraisal.domain.scoring import allowance_before_factor
from shared.policy import Policy, default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())


def with_tpp(policy: Policy = POLICY, factor: dict[str, float] | None = None,
             **tpp: Any) -> Policy:
    update: dict[str, Any] = {"tpp": policy.tpp.model_copy(update=tpp)}
    if factor:
        update["employment_factor"] = {**policy.employment_factor, **factor}
    return policy.model_copy(update=update)


def amounts(job_class: int, kind: str = "PNS", performance: str = "100",
            discipline: str | None = "100", policy: Policy = POLICY,
            unit: str = "BKPSDM") -> Amounts:
    return tpp_amounts(unit=unit, job_class=job_class, employment_type=kind,  # type: ignore[arg-type]
                       performance_pct=Decimal(performance),
                       discipline_pct=None if discipline is None else Decimal(discipline),
                       policy=policy)


def figures(a: Amounts) -> tuple[int, ...]:
    return (a.base, a.entitled, a.performance_share, a.discipline_share, a.deductions,
            a.gross, a.tax, a.net)


def test_class_1_in_full() -> None:
    # 3,185,000: 60 % = 1,911,000, 40 % = 1,274,000; tax 5 % = 159,250
    assert figures(amounts(1)) == (3_185_000, 3_185_000, 1_911_000, 1_274_000, 0,
                                   3_185_000, 159_250, 3_025_750)


def test_class_8_with_both_cuts() -> None:
    # 21,824,000: parts 13,094,400 / 8,729,600; x 90 % = 11,784,960; x 97.5 % = 8,511,360
    # gross 20,296,320; deductions 1,309,440 + 218,240 = 1,527,680; tax 1,014,816
    a = amounts(8, performance="90", discipline="97.5")
    assert figures(a) == (21_824_000, 21_824_000, 11_784_960, 8_511_360, 1_527_680,
                          20_296_320, 1_014_816, 19_281_504)
    assert (a.performance_cut, a.discipline_cut, a.cap_cut) == (1_309_440, 218_240, 0)


def test_class_12_cpns() -> None:
    # 32,474,000 x 80 % = 25,979,200; parts 15,587,520 / 10,391,680; x 85 % = 13,249,392;
    # x 95 % = 9,872,096; gross 23,121,488; tax 1,156,074.4 -> 1,156,074
    a = amounts(12, "CPNS", performance="85", discipline="95")
    assert figures(a) == (32_474_000, 25_979_200, 13_249_392, 9_872_096, 2_857_712,
                          23_121_488, 1_156_074, 21_965_414)
    assert "CPNS: 80% -> Rp 25,979,200" in a.reasons


def test_pppk_is_paid_as_pns() -> None:
    assert figures(amounts(5, "PPPK")) == figures(amounts(5, "PNS"))


def test_the_cap() -> None:
    # class 17: 45,788,000 in full, capped at 40,000,000; tax 2,000,000
    a = amounts(17, policy=with_tpp(cap=40_000_000))
    assert (a.gross, a.cap_cut, a.deductions, a.tax, a.net) == (
        40_000_000, 5_788_000, 5_788_000, 2_000_000, 38_000_000)
    assert "capped at Rp 40,000,000" in a.reasons


def test_just_below_the_cap_is_not_capped() -> None:
    a = amounts(17, policy=with_tpp(cap=45_788_000))
    assert (a.gross, a.cap_cut) == (45_788_000, 0)
    assert not any("capped" in reason for reason in a.reasons)
    assert amounts(17, policy=with_tpp(cap=45_787_999)).cap_cut == 1


def test_tax_rate_is_the_policy_s() -> None:
    # 3,185,000 x 15 % = 477,750
    assert amounts(1, policy=with_tpp(tax_rate_pct=15)).tax == 477_750
    assert amounts(1, policy=with_tpp(tax_rate_pct=0)).net == 3_185_000


def test_another_split() -> None:
    # 70/30 of 3,185,000: 2,229,500 / 955,500; discipline at 50 % = 477,750
    a = amounts(1, discipline="50", policy=with_tpp(performance_weight=70,
                                                     discipline_weight=30))
    assert (a.performance_share, a.discipline_share, a.discipline_cut) == (
        2_229_500, 477_750, 477_750)


def test_no_discipline_figure_pays_no_discipline_share_and_says_so() -> None:
    a = amounts(1, discipline=None)
    assert (a.discipline_share, a.discipline_cut, a.gross) == (0, 1_274_000, 1_911_000)
    assert ("no discipline figure yet: the discipline 40% (Rp 1,274,000) is not paid "
            "(provisional)") in a.reasons


def test_zero_discipline_is_a_figure() -> None:
    a = amounts(1, discipline="0")
    assert a.discipline_share == 0
    assert "discipline 40% (Rp 1,274,000) x 0% -> Rp 0" in a.reasons


def test_unit_types_choose_the_table() -> None:
    school = [n * 1000 for n in range(1, 18)]
    policy = with_tpp(base={**POLICY.tpp.base, "school": school},
                      unit_types={"SMA-1": "school"})
    assert amounts(3, policy=policy, unit="SMA-1").base == 3000
    assert amounts(3, policy=policy, unit="BKPSDM").base == 8_510_000
    assert "base Rp 3,000 (job class 3, school)" in amounts(3, policy=policy,
                                                            unit="SMA-1").reasons


# -- rounding: whole Rupiah, half up, each amount once -----------------------------------------

@pytest.mark.parametrize(("exact", "paid"), [
    ("0.5", 1), ("1.49", 1), ("1.5", 2), ("2.5", 3), ("2.4999", 2), ("7", 7)])
def test_rupiah_rounds_half_up(exact: str, paid: int) -> None:
    assert rupiah(Decimal(exact)) == paid


def test_halves_round_up_at_every_step() -> None:
    # base 25 x 0.5 = 12.5 -> 13 (banker's rounding would give 12); 50/50: parts 7 (6.5) and
    # 6; at 50 %: 3.5 -> 4 and 3; gross 7; tax 10 % = 0.7 -> 1
    policy = with_tpp(factor={"PPPK": 0.5}, base={"office": [25] * 17}, performance_weight=50,
                      discipline_weight=50, tax_rate_pct=10)
    a = amounts(1, "PPPK", performance="50", discipline="50", policy=policy)
    assert (a.entitled, a.performance_share, a.discipline_share, a.gross, a.tax, a.net) == (
        13, 4, 3, 7, 1, 6)
    assert (a.performance_cut, a.discipline_cut, a.deductions) == (3, 3, 6)


def test_policy_figures_are_taken_as_written() -> None:
    # 5 x 0.7 = 3.5 -> 4; the float 0.7 is 0.69999..., which would give 3
    policy = with_tpp(factor={"CPNS": 0.7}, base={"office": [5] * 17})
    assert amounts(1, "CPNS", policy=policy).entitled == 4
    assert decimal(0.7) == Decimal("0.7")


def test_a_row_always_adds_up() -> None:
    for job_class in (1, 7, 13):
        for pct in ("0", "33.3", "72.5", "99.9"):
            a = amounts(job_class, "CPNS", performance=pct, discipline=pct)
            assert a.entitled == a.gross + a.deductions
            assert a.gross == a.tax + a.net


# -- status --------------------------------------------------------------------------------------

def status(**changes: bool) -> str:
    facts = {"closed": True, "discipline_known": True, "objection_pending": False,
             "bank_account_known": True, "paid": False, **changes}
    return row_status(**facts)


def test_statuses() -> None:
    assert status() == "payable"
    assert status(closed=False) == "provisional"
    assert status(discipline_known=False) == "provisional"
    assert status(closed=False, objection_pending=True) == "provisional"
    assert status(objection_pending=True) == "under_objection"
    assert status(objection_pending=True, paid=True) == "under_objection"
    assert status(bank_account_known=False) == "final"
    assert status(paid=True) == "paid"
    assert status(paid=True, bank_account_known=False) == "paid"


# -- rows, totals, masking -----------------------------------------------------------------------

PAYEE = Payee("196804111993031009", "Budi", "BKPSDM", 1, "PNS")
MONEY = FinanceData("3201014101900001", "Bank Jatim", "0011223344")


def row(**changes: Any) -> Any:
    facts: dict[str, Any] = {"payee": PAYEE, "finance": MONEY, "performance_pct": Decimal(100),
                             "discipline_pct": Decimal(100), "policy": POLICY, "closed": True,
                             "payment": None, **changes}
    return payroll_row(**facts)


def test_row_status_in_words() -> None:
    assert row().reasons[-1] == "payable"
    assert row(closed=False).reasons[-1] == "provisional: the period is open"
    assert row(discipline_pct=None).reasons[-1] == "provisional: no discipline figure yet"
    assert row(finance=None).reasons[-1] == (
        "final: no NPWP and bank account recorded, not payable yet")
    assert row(objection_pending=True).reasons[-1] == (
        "under objection: payment waits for the decision")
    paid = row(payment=Payment("00123/SP2D/2026", date(2026, 4, 13)))
    assert (paid.status, paid.reasons[-1]) == ("paid", "paid: SP2D 00123/SP2D/2026 of 2026-04-13")
    assert row().policy_version == POLICY.version
    sp2d = Payment("1/SP2D", date(2026, 4, 13))
    assert row(closed=False, payment=sp2d).reasons[-1] == "provisional: the period is open"
    assert row(objection_pending=True, payment=sp2d).status == "under_objection"
    assert row(objection_pending=True, payment=sp2d).reasons[-1] == (
        "under objection: payment waits for the decision")


def test_a_row_uses_its_unit_s_table() -> None:
    policy = with_tpp(base={**POLICY.tpp.base, "school": [1000] * 17},
                      unit_types={"SMA-1": "school"})
    school = Payee("196804111993031009", "Budi", "SMA-1", 1, "PNS")
    assert row(payee=school, policy=policy).amounts.base == 1000


def test_totals_add_the_rows() -> None:
    # class 1 in full (3,185,000) + class 1 performance only (1,911,000; deductions 1,274,000)
    rows = [row(), row(discipline_pct=None)]
    assert totals(rows) == {"entitled": 6_370_000, "performance_share": 3_822_000,
                            "discipline_share": 1_274_000, "deductions": 1_274_000,
                            "gross": 5_096_000, "tax": 254_800, "net": 4_841_200}


def test_masking() -> None:
    assert masked("3201014101900001") == "************0001"
    assert masked("12345") == "*2345"
    assert masked("1234") == "1234"
    assert masked("") == ""
    hidden = mask_row(row())
    assert (hidden.finance.npwp, hidden.finance.bank_account, hidden.finance.bank_name) == (
        "************0001", "******3344", "Bank Jatim")
    assert mask_row(row(finance=None)).finance is None


def test_the_performance_percentage_is_eligibility_s_before_the_factor() -> None:
    assert allowance_before_factor("Cukup", 3, POLICY) == 90
    assert allowance_before_factor("Sangat Baik", 1, POLICY) == 100
    assert allowance_before_factor("Sangat Baik", 0, POLICY) == 65  # nothing reported


def test_percentages_in_words() -> None:
    assert plain(Decimal("80.0")) == "80"
    assert plain(Decimal("100")) == "100"
    assert plain(Decimal("97.50")) == "97.5"
    a = amounts(8, performance="90.0", discipline="97.50")
    assert a.reasons == (
        "base Rp 21,824,000 (job class 8, office)",
        "performance 60% (Rp 13,094,400) x 90% -> Rp 11,784,960",
        "discipline 40% (Rp 8,729,600) x 97.5% -> Rp 8,511,360",
        "tax 5% of Rp 20,296,320 -> Rp 1,014,816")
