"""The printable payroll recap (reportlab): period, unit, policy, the position it was
computed at, totals, the deductions recap, one line per employee, and signature blocks for
the head of unit and the treasurer. Written in reportlab's invariant mode, so the same
listing gives the same bytes (no creation date, a fixed document id)."""

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.appraisal.domain.payroll_listing import Listing, totals

_GRID = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT")])


def rp(amount: int) -> str:
    """Rupiah as written in Indonesia: Rp 1.234.567."""
    return "Rp " + f"{amount:,}".replace(",", ".")


def recap_pdf(listing: Listing) -> bytes:
    out = io.BytesIO()
    title = f"TPP payroll recap {listing.unit} {listing.period}"
    document = SimpleDocTemplate(out, pagesize=landscape(A4), invariant=True, title=title,
                                 author="e-RK", creator="e-RK", subject=title,
                                 leftMargin=15 * mm, rightMargin=15 * mm)
    styles = getSampleStyleSheet()
    story = [Paragraph(f"Rekapitulasi TPP / TPP payroll recap: {listing.unit}, "
                       f"{listing.period}", styles["Title"]),
             Paragraph(_facts(listing), styles["Normal"]), Spacer(1, 4 * mm),
             _table([["Totals", "Amount"], *_total_lines(listing)]), Spacer(1, 4 * mm),
             Paragraph("Deductions recap (rekapan potongan TPP)", styles["Heading3"]),
             _table([["Deduction", "Amount"], *_deduction_lines(listing)]),
             Spacer(1, 4 * mm), _table(_employee_lines(listing)), Spacer(1, 12 * mm),
             _signatures(listing)]
    document.build(story)
    return out.getvalue()


def _facts(listing: Listing) -> str:
    paid = ("not paid yet" if listing.payment is None else
            f"SP2D {listing.payment.sp2d_number} of {listing.payment.sp2d_date.isoformat()}")
    return (f"Period {listing.period} ({'closed' if listing.closed else 'open'}) &middot; "
            f"unit {listing.unit} &middot; policy {listing.policy_versions} &middot; computed "
            f"at event position {listing.position} &middot; {len(listing.rows)} employees "
            f"&middot; payment: {paid}")


def _total_lines(listing: Listing) -> list[list[str]]:
    sums = totals(listing.rows)
    labels = {"entitled": "Entitled (base x employment factor)",
              "performance_share": "Performance share", "discipline_share": "Discipline share",
              "deductions": "Deductions", "gross": "Gross", "tax": "Income tax (PPh 21)",
              "net": "Net paid"}
    return [[label, rp(sums[name])] for name, label in labels.items()]


def _deduction_lines(listing: Listing) -> list[list[str]]:
    names = {"performance_cut": "Performance", "discipline_cut": "Discipline",
             "cap_cut": "Cap (maksimum)", "deductions": "Total deductions"}
    return [[label, rp(sum(getattr(row.amounts, name) for row in listing.rows))]
            for name, label in names.items()]


def _employee_lines(listing: Listing) -> list[list[str]]:
    head = ["No", "NIP", "Name", "Class", "Type", "Gross", "Deductions", "Tax", "Net",
            "Status"]
    return [head, *([str(n), row.payee.nip, row.payee.name, str(row.payee.job_class),
                      row.payee.employment_type, rp(row.amounts.gross),
                      rp(row.amounts.deductions), rp(row.amounts.tax), rp(row.amounts.net),
                      row.status] for n, row in enumerate(listing.rows, 1))]


def _table(rows: list[list[str]]) -> Table:
    table = Table(rows, hAlign="LEFT", repeatRows=1)
    table.setStyle(_GRID)
    return table


def _signatures(listing: Listing) -> Table:
    block = ["", "", "", "(name)", "NIP"]
    rows = [[f"Head of unit {listing.unit} (Kepala)", "Treasurer (Bendahara)"],
            *([line, line] for line in block)]
    table = Table(rows, colWidths=[120 * mm, 120 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("FONTSIZE", (0, 0), (-1, -1), 9),
                               ("LINEBELOW", (0, 3), (-1, 3), 0.4, colors.black)]))
    return table
