"""A unit's payroll listing for a month: one row per employee (amounts, status, reasons in
words), the totals, and how personal finance data is masked for those who may not see it."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from services.appraisal.domain.objection_result import UNDER_OBJECTION
from services.appraisal.domain.payroll import Amounts, Status, row_status, tpp_amounts
from services.appraisal.domain.scoring import allowance_before_factor
from shared.events import EmploymentType
from shared.policy import Policy

VISIBLE_DIGITS = 4
"""Masked finance data shows its last four characters (as on a bank card)."""


@dataclass(frozen=True)
class Payee:
    """What the payroll needs of an employee."""

    nip: str
    name: str
    unit: str
    job_class: int
    employment_type: EmploymentType


@dataclass(frozen=True)
class FinanceData:
    npwp: str
    bank_name: str
    bank_account: str


@dataclass(frozen=True)
class Payment:
    sp2d_number: str
    sp2d_date: date


@dataclass(frozen=True)
class PayrollRow:
    payee: Payee
    finance: FinanceData | None
    amounts: Amounts
    status: Status
    policy_version: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Listing:
    period: str
    unit: str
    position: int
    """The highest global position the projections had applied."""
    closed: bool
    payment: Payment | None
    rows: tuple[PayrollRow, ...]

    @property
    def policy_versions(self) -> str:
        return ", ".join(sorted({row.policy_version for row in self.rows})) or "-"


def payroll_row(*, payee: Payee, finance: FinanceData | None, performance_pct: Decimal,
                discipline_pct: Decimal | None, policy: Policy, closed: bool,
                payment: Payment | None, objection_pending: bool = False) -> PayrollRow:
    amounts = tpp_amounts(unit=payee.unit, job_class=payee.job_class,
                          employment_type=payee.employment_type,
                          performance_pct=performance_pct, discipline_pct=discipline_pct,
                          policy=policy)
    status = row_status(closed=closed, discipline_known=discipline_pct is not None,
                        objection_pending=objection_pending,
                        bank_account_known=finance is not None, paid=payment is not None)
    return PayrollRow(payee, finance, amounts, status, policy.version,
                      (*amounts.reasons, _status_reason(status, closed, payment)))


def _status_reason(status: Status, closed: bool, payment: Payment | None) -> str:
    if status == "provisional":
        return ("provisional: no discipline figure yet" if closed
                else "provisional: the period is open")
    if payment is not None and status == "paid":
        return f"paid: SP2D {payment.sp2d_number} of {payment.sp2d_date.isoformat()}"
    return {"under_objection": "under objection: payment waits for the decision",
            "final": "final: no NPWP and bank account recorded, not payable yet",
            "payable": "payable"}[status]


def masked(value: str) -> str:
    """``value`` with all but its last four characters replaced by '*'."""
    hidden = max(len(value) - VISIBLE_DIGITS, 0)
    return "*" * hidden + value[hidden:]


def mask_row(row: PayrollRow) -> PayrollRow:
    """The row as those who may not read finance data see it."""
    if row.finance is None:
        return row
    finance = FinanceData(masked(row.finance.npwp), row.finance.bank_name,
                          masked(row.finance.bank_account))
    return replace(row, finance=finance)


TOTALLED = ("entitled", "performance_share", "discipline_share", "deductions", "gross", "tax",
            "net")
"""The amounts a listing totals."""


def totals(rows: Sequence[PayrollRow]) -> dict[str, int]:
    return {name: sum(getattr(row.amounts, name) for row in rows) for name in TOTALLED}


def performance_pct(row: Mapping[str, Any], activities: int, policy: Policy) -> Decimal:
    """An eligibility row's allowance percentage before the employment factor (the payroll
    applies the factor to the base instead): per predicate under the 2022 regime, else per
    band (or the no-report percentage)."""
    if row["regime"] == "2022":
        pct = Fraction(str(policy.rules_2022.allowance_pct_by_predicate[row["predicate"]]))
    else:
        pct = allowance_before_factor(row["category"], activities, policy)
    return Decimal(pct.numerator) / Decimal(pct.denominator)


def under_objection(row: Mapping[str, Any]) -> bool:
    """The row's result waits for an objection's decision (payment waits for it too)."""
    return bool(row["objection"] == UNDER_OBJECTION)
