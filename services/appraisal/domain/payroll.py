"""TPP amounts in Rupiah: an eligibility percentage and a discipline percentage -> the
amounts of one payroll row, and the row's status.

Rounding rule: arithmetic is exact (``Decimal`` of the policy's figures, never float); each
amount is rounded once, to whole Rupiah, half up, where it is named below, and the later
amounts are computed from the rounded ones, so every row adds up exactly:

1. entitled = base x employment factor                                (rounded)
2. performance part = entitled x performance weight                   (rounded);
   discipline part = entitled - performance part
3. performance share = performance part x performance %               (rounded);
   discipline share = discipline part x discipline %                  (rounded; 0 while
   there is no discipline figure: the row is provisional)
4. gross = min(performance share + discipline share, cap)
5. deductions = entitled - gross: the performance cut (part - share), the discipline cut
   and the cap cut, each shown
6. tax = gross x tax rate                                             (rounded)
7. net = gross - tax
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from shared.events import EmploymentType
from shared.policy import Policy

Status = Literal["provisional", "under_objection", "final", "payable", "paid"]
"""provisional: the period is open or a figure is missing; under_objection: closed, but an
objection against the result waits for its decision; final: closed and complete, but not
payable yet (no bank account); payable: may go on the listing to be paid; paid: a payment
order (SP2D) is recorded."""

_HUNDRED = Decimal(100)
_WHOLE_RUPIAH = Decimal("1")


def rupiah(amount: Decimal) -> int:
    """Whole Rupiah, half up: Rp 0.5 -> 1, Rp 1.49 -> 1."""
    return int(amount.quantize(_WHOLE_RUPIAH, rounding=ROUND_HALF_UP))


def decimal(value: float) -> Decimal:
    """A policy figure as people wrote it (0.8, not 0.8000000000000000444)."""
    return Decimal(repr(value))


def plain(value: Decimal) -> str:
    """A percentage as people write it: 80, 97.5 (no exponent, no trailing zeros)."""
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class Amounts:
    """One employee's TPP for one month, whole Rupiah."""

    base: int
    entitled: int
    performance_share: int
    discipline_share: int
    performance_cut: int
    discipline_cut: int
    cap_cut: int
    gross: int
    tax: int
    net: int
    reasons: tuple[str, ...]

    @property
    def deductions(self) -> int:
        return self.performance_cut + self.discipline_cut + self.cap_cut


def tpp_amounts(*, unit: str, job_class: int, employment_type: EmploymentType,
                performance_pct: Decimal, discipline_pct: Decimal | None,
                policy: Policy) -> Amounts:
    """``performance_pct``: the eligibility percentage before the employment factor (the
    category's allowance, 0..100); ``discipline_pct``: the month's discipline percentage,
    None while there is none."""
    tpp = policy.tpp
    base = tpp.base_amount(unit, job_class)
    factor = decimal(policy.employment_factor[employment_type])
    entitled = rupiah(base * factor)
    reasons = [f"base Rp {base:,} (job class {job_class}, {tpp.unit_type(unit)})"]
    if factor != 1:
        reasons.append(f"{employment_type}: {plain(factor * _HUNDRED)}% -> Rp {entitled:,}")
    performance_max = rupiah(entitled * decimal(tpp.performance_weight) / _HUNDRED)
    discipline_max = entitled - performance_max
    performance = rupiah(performance_max * performance_pct / _HUNDRED)
    reasons.append(f"performance {tpp.performance_weight:g}% (Rp {performance_max:,}) x "
                   f"{plain(performance_pct)}% -> Rp {performance:,}")
    discipline = _discipline_share(discipline_max, discipline_pct, policy, reasons)
    before_cap = performance + discipline
    gross = min(before_cap, tpp.cap)
    if gross < before_cap:
        reasons.append(f"capped at Rp {tpp.cap:,}")
    tax = rupiah(gross * decimal(tpp.tax_rate_pct) / _HUNDRED)
    reasons.append(f"tax {tpp.tax_rate_pct:g}% of Rp {gross:,} -> Rp {tax:,}")
    return Amounts(
        base=base, entitled=entitled, performance_share=performance,
        discipline_share=discipline, performance_cut=performance_max - performance,
        discipline_cut=discipline_max - discipline, cap_cut=before_cap - gross,
        gross=gross, tax=tax, net=gross - tax, reasons=tuple(reasons))


def _discipline_share(part: int, discipline_pct: Decimal | None, policy: Policy,
                      reasons: list[str]) -> int:
    weight = f"{policy.tpp.discipline_weight:g}%"
    if discipline_pct is None:
        reasons.append(f"no discipline figure yet: the discipline {weight} (Rp {part:,}) is "
                       "not paid (provisional)")
        return 0
    share = rupiah(part * discipline_pct / _HUNDRED)
    reasons.append(f"discipline {weight} (Rp {part:,}) x {plain(discipline_pct)}% -> Rp {share:,}")
    return share


def row_status(*, closed: bool, discipline_known: bool, objection_pending: bool,
               bank_account_known: bool, paid: bool) -> Status:
    """Where a row stands. ``objection_pending``: an objection (keberatan) against the
    month's result waits for its decision (the eligibility row says so)."""
    if not closed or not discipline_known:
        return "provisional"
    if objection_pending:
        return "under_objection"
    if paid:
        return "paid"
    return "payable" if bank_account_known else "final"
