"""A unit's payroll listing for a month, computed when asked from the projections (like the
pace): eligibility, the roster, finance data, the payment order, the governing policy, and
the discipline figures (``adapters.discipline``, the one place they are read). It states
the position the projections stood at, so the same period and position give the same
listing, and a replay up to that position gives it again (``verify_listing``)."""

from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters import positions
from services.appraisal.adapters.discipline import discipline_percentages
from services.appraisal.domain.payroll_listing import (
    FinanceData,
    Listing,
    Payee,
    Payment,
    payroll_row,
    performance_pct,
    under_objection,
)
from services.appraisal.projections import (
    closed_periods,
    eligibility,
    employee_months,
    employees,
    finance,
    payments,
    policies,
)
from shared.personal import Reveal, kept_sealed
from shared.policy import parsed_policy

DisciplineReader = Callable[[AsyncConnection, str, Iterable[str]],
                            Awaitable[dict[str, Decimal]]]


async def listing(conn: AsyncConnection, period: str, unit: str,
                  discipline: DisciplineReader = discipline_percentages,
                  reveal: Reveal = kept_sealed) -> Listing:
    """``discipline``: tests pass a fake of :func:`discipline_percentages`. ``reveal`` opens
    the sealed names and finance data (the read API's; an audit compares them sealed)."""
    position = await positions.applied_up_to(conn)
    found = await eligibility.of_unit(conn, period, unit)
    nips = [row["nip"] for row in found]
    roster = await reveal(await employees.by_nip(conn, nips))
    months = await employee_months.by_key(conn, [(nip, period) for nip in nips])
    money = await reveal(await finance.by_nip(conn, nips))
    by_version = {p["version"]: p for p in await policies.all_policies(conn)}
    closed = period in await closed_periods.closes(conn)
    paid = await payments.payment(conn, period, unit)
    payment = Payment(paid["sp2d_number"], paid["sp2d_date"]) if paid else None
    figures = await discipline(conn, period, nips)
    rows = []
    for row in found:
        nip, policy_row = row["nip"], by_version[row["policy_version"]]
        policy = parsed_policy(policy_row["version"], policy_row["document"])
        activities = months.get((nip, period), {}).get("activities", 0)
        rows.append(payroll_row(
            payee=_payee(roster[nip], unit), finance=_finance(money.get(nip)),
            performance_pct=performance_pct(row, activities, policy),
            discipline_pct=figures.get(nip), policy=policy, closed=closed, payment=payment,
            objection_pending=under_objection(row)))
    return Listing(period, unit, position, closed, payment, tuple(rows))


def _payee(employee: dict[str, Any], unit: str) -> Payee:
    return Payee(employee["nip"], employee["name"], unit, employee["job_class"],
                 employee["employment_type"])


def _finance(row: dict[str, str] | None) -> FinanceData | None:
    if row is None:
        return None
    return FinanceData(row["npwp"], row["bank_name"], row["bank_account"])
