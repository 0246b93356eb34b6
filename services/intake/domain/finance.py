"""Personal finance data (NPWP, bank account) and payment orders (SP2D): who may record them
and which values are refused. The values themselves are personal data: the messages here
name the part that is wrong, never the value.

NPWP (PMK 112/2022): 16 digits. A resident's NPWP is their NIK (province 2, regency 2,
district 2, birth date DDMMYY with 40 added to a woman's day, sequence 4); an older 15-digit
NPWP is written with a leading 0.
"""

from datetime import date

from services.intake.domain import commands as c
from services.intake.domain.checks import require
from services.intake.domain.errors import Rejected, conflict
from shared.auth import Principal
from shared.events import FinanceDataRecorded, PaymentRecorded
from shared.periods import last_day

NPWP_LENGTH = 16
_FIRST_PROVINCE = 11  # Aceh; codes below are unused (Permendagri 72/2019)
_WOMAN_DAY_OFFSET = 40


def npwp_problem(npwp: str) -> str | None:
    """Why ``npwp`` is not a valid NPWP, or None."""
    if len(npwp) != NPWP_LENGTH or not npwp.isascii() or not npwp.isdigit():
        return (f"{NPWP_LENGTH} digits and nothing else (PMK 112/2022); "
                "write a 15-digit NPWP with a leading 0")
    if npwp.startswith("0"):
        return "the 15-digit NPWP after the leading 0 is all zeros" if int(npwp) == 0 else None
    return _nik_problem(npwp)


def _nik_problem(nik: str) -> str | None:
    if int(nik[0:2]) < _FIRST_PROVINCE:
        return f"a NIK begins with a province code {_FIRST_PROVINCE}..99"
    day, month = int(nik[6:8]), int(nik[8:10])
    if not (1 <= day <= 31 or _WOMAN_DAY_OFFSET + 1 <= day <= _WOMAN_DAY_OFFSET + 31):
        return "digits 7-8 (birth day, +40 for women) are no day"
    if not 1 <= month <= 12:
        return "digits 9-10 (birth month) are no month"
    if nik[12:] == "0000":
        return "digits 13-16 (sequence) are 0000"
    return None


def record_finance_data(cmd: c.RecordFinanceData, principal: Principal,
                        employee_known: bool) -> FinanceDataRecorded:
    require(principal, "manage_finance")
    problem = npwp_problem(cmd.npwp)
    if problem is not None:
        raise Rejected("invalid_npwp", f"npwp: {problem}", "npwp")
    if not employee_known:
        raise Rejected("unknown_employee", "nip: no employee with this NIP", "nip", 404)
    return FinanceDataRecorded(**cmd.model_dump())


def record_payment(cmd: c.RecordPayment, principal: Principal, closed: bool,
                   today: date) -> PaymentRecorded:
    """A month's TPP is paid in arrears, on a closed period's listing."""
    require(principal, "record_payment")
    if not closed:
        raise conflict("period_not_closed",
                       f"period: {cmd.period} is not closed; its listing is not final", "period")
    if cmd.sp2d_date <= last_day(cmd.period):
        raise Rejected("sp2d_before_period_end",
                       f"sp2d_date: {cmd.sp2d_date} is not after the month paid", "sp2d_date")
    if cmd.sp2d_date > today:
        raise Rejected("sp2d_in_future", f"sp2d_date: {cmd.sp2d_date} is after today",
                       "sp2d_date")
    return PaymentRecorded(**cmd.model_dump())
