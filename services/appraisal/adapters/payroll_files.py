"""The payroll hand-off as files: the listing (CSV, XLSX) and the deductions recap (CSV),
each a table whose every row names the period, unit and position; ``recap_pdf`` renders the
printable recap.

Reproducible: the same listing gives the same bytes. The CSV has no clock in it; the XLSX's
document times and its zip entries' times are fixed (``FIXED_TIME``); the PDF is written by
reportlab in its invariant mode (fixed date and document id).
"""

import csv
import io
import zipfile
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook, load_workbook
from openpyxl.writer.excel import ExcelWriter

from services.appraisal.domain.payroll_listing import Listing, PayrollRow, totals

FIXED_TIME = datetime(2000, 1, 1)
"""The document time of every XLSX (its content says what it is as of: the position)."""
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

HEAD = ["period", "unit", "position"]
LISTING = [*HEAD, "no", "nip", "name", "job_class", "employment_type", "npwp", "bank_name",
           "bank_account", "base", "entitled", "performance_share", "discipline_share",
           "deductions", "gross", "tax", "net", "status", "policy_version", "sp2d_number",
           "sp2d_date"]
DEDUCTIONS = [*HEAD, "no", "nip", "name", "entitled", "performance_cut", "discipline_cut",
              "cap_cut", "deductions", "gross", "tax", "net"]
TOTAL = "TOTAL"
Cell = str | int


def listing_table(listing: Listing) -> list[list[Cell]]:
    """Header, one row per employee, the totals row."""
    head: list[Cell] = [listing.period, listing.unit, listing.position]
    sp2d: list[Cell] = (["", ""] if listing.payment is None else
                        [listing.payment.sp2d_number, listing.payment.sp2d_date.isoformat()])
    # the payment order names only the rows it paid (not one still under objection)
    body = [[*head, number, *_payee_cells(row), *_amount_cells(row), row.status,
             row.policy_version, *(sp2d if row.status == "paid" else ["", ""])]
            for number, row in enumerate(listing.rows, 1)]
    sums = totals(listing.rows)
    total_row: list[Cell] = [*head, "", TOTAL, "", "", "", "", "", "", "",
                             *(sums[name] for name in ("entitled", "performance_share",
                                                       "discipline_share", "deductions",
                                                       "gross", "tax", "net")),
                             "", "", "", ""]
    return [list(LISTING), *body, total_row]


def deductions_table(listing: Listing) -> list[list[Cell]]:
    head: list[Cell] = [listing.period, listing.unit, listing.position]
    names = ("entitled", "performance_cut", "discipline_cut", "cap_cut", "deductions",
             "gross", "tax", "net")
    body = [[*head, number, row.payee.nip, row.payee.name,
             *(getattr(row.amounts, name) for name in names)]
            for number, row in enumerate(listing.rows, 1)]
    total_row: list[Cell] = [*head, "", TOTAL, "",
                             *(sum(getattr(row.amounts, name) for row in listing.rows)
                               for name in names)]
    return [list(DEDUCTIONS), *body, total_row]


def _payee_cells(row: PayrollRow) -> list[Cell]:
    finance = row.finance
    return [row.payee.nip, row.payee.name, row.payee.job_class, row.payee.employment_type,
            finance.npwp if finance else "", finance.bank_name if finance else "",
            finance.bank_account if finance else ""]


def _amount_cells(row: PayrollRow) -> list[Cell]:
    a = row.amounts
    return [a.base, a.entitled, a.performance_share, a.discipline_share, a.deductions, a.gross,
            a.tax, a.net]


def csv_bytes(table: Sequence[Sequence[Cell]]) -> bytes:
    """UTF-8, comma-separated, CRLF line ends (RFC 4180), no byte-order mark."""
    out = io.StringIO()
    csv.writer(out).writerows(table)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(sheets: dict[str, list[list[Cell]]]) -> bytes:
    """One worksheet per table; identifiers (NIP, NPWP, account) stay text."""
    book = Workbook()
    book.remove(book.worksheets[0])
    for title, table in sheets.items():
        sheet = book.create_sheet(title)
        for row in table:
            sheet.append(row)
    book.properties.creator = "e-RK"
    book.properties.created = book.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    # ExcelWriter rather than book.save: save stamps the modified time with the clock
    ExcelWriter(book, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    return _fixed_zip(raw.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The archive again, every entry with the same time (zip entries carry the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(zipfile.ZipInfo(entry.filename, _ZIP_TIME), source.read(entry))
    return out.getvalue()


def read_csv(data: bytes) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(data.decode("utf-8"))) if row]


def read_xlsx(data: bytes, sheet: str) -> list[list[str]]:
    """A worksheet's cells as the CSV writes them (numbers as digits, empty as '')."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [["" if cell is None else str(cell) for cell in row]
            for row in book[sheet].iter_rows(values_only=True)]


KINDS = ("csv", "xlsx", "pdf", "deductions")
"""What ``render`` writes: the listing as CSV or XLSX (with the deductions sheet), the PDF
recap, the deductions recap as CSV."""


def render(listing: Listing, kind: str) -> bytes:
    if kind == "csv":
        return csv_bytes(listing_table(listing))
    if kind == "xlsx":
        return xlsx_bytes({"Listing": listing_table(listing),
                           "Deductions": deductions_table(listing)})
    if kind == "deductions":
        return csv_bytes(deductions_table(listing))
    if kind == "pdf":
        from services.appraisal.adapters.payroll_pdf import recap_pdf
        return recap_pdf(listing)
    raise ValueError(f"kind: one of {', '.join(KINDS)}, not {kind!r}")


def read_listing(data: bytes) -> list[list[str]]:
    """The listing table of a CSV or XLSX file (an XLSX is a zip: it begins with 'PK')."""
    return read_xlsx(data, "Listing") if data[:2] == b"PK" else read_csv(data)


def as_text(table: Sequence[Sequence[Cell]]) -> list[list[str]]:
    return [[str(cell) for cell in row] for row in table]
