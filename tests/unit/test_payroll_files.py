"""The payroll files: the same listing gives the same bytes whatever the clock says, the
tables add up, and a listing file's difference report names the row and keeps personal
values out."""

import io
import time
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from services.appraisal.adapters import payroll_files as files
from services.appraisal.domain.payroll_listing import (
    FinanceData,
    Listing,
    Payee,
    Payment,
    payroll_row,
)
from services.appraisal.service_layer.payroll_audit import (
    NotAListing,
    first_difference,
    listing_head,
)
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())


def listing(payment: Payment | None = None) -> Listing:
    rows = tuple(payroll_row(
        payee=Payee(nip, f"Pegawai {nip[-4:]}", "BKPSDM", job_class, "PNS"),
        finance=FinanceData("3201014101900001", "Bank Jatim", "0011223344"),
        performance_pct=Decimal(100), discipline_pct=Decimal(100), policy=POLICY, closed=True,
        payment=payment) for nip, job_class in (("196804111993031009", 1),
                                                ("199001012015032001", 2)))
    return Listing("2026-03", "BKPSDM", 42, True, payment, rows)


@pytest.mark.parametrize("kind", files.KINDS)
def test_the_same_listing_gives_the_same_bytes_at_any_time(
        kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = files.render(listing(), kind)
    later = time.time() + 3 * 86400
    monkeypatch.setattr(time, "time", lambda: later)  # zip entries and document times
    assert files.render(listing(), kind) == first


def test_the_xlsx_has_no_clock_in_it() -> None:
    data = files.render(listing(), "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2  # created, modified
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Listing", "Deductions"]


def test_the_csv_table() -> None:
    # class 1: 3,185,000 (tax 159,250); class 2: 5,848,000 (tax 292,400)
    table = files.read_csv(files.render(listing(Payment("7/SP2D", date(2026, 4, 13))), "csv"))
    assert table[0] == files.LISTING
    assert table[1][:8] == ["2026-03", "BKPSDM", "42", "1", "196804111993031009",
                           "Pegawai 1009", "1", "PNS"]
    total = dict(zip(files.LISTING, table[-1], strict=True))
    assert (total["nip"], total["gross"], total["tax"], total["net"]) == (
        "TOTAL", "9033000", "451650", "8581350")
    first = dict(zip(files.LISTING, table[1], strict=True))
    assert (first["status"], first["policy_version"], first["sp2d_number"],
            first["sp2d_date"]) == ("paid", "erk-default-2026.1", "7/SP2D", "2026-04-13")


def test_the_deductions_table() -> None:
    table = files.deductions_table(listing())
    assert table[0] == files.DEDUCTIONS
    assert table[-1][files.DEDUCTIONS.index("deductions")] == 0
    assert table[-1][files.DEDUCTIONS.index("gross")] == 9_033_000


def test_the_pdf_says_what_it_is() -> None:
    reader = PdfReader(io.BytesIO(files.render(listing(), "pdf")))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "computed at event position 42" in text
    assert "Net paid Rp 8.581.350" in text
    assert reader.metadata is not None
    assert reader.metadata.title == "TPP payroll recap BKPSDM 2026-03"


def test_a_listing_is_read_back_from_csv_and_xlsx() -> None:
    expected = files.as_text(files.listing_table(listing()))
    assert files.read_listing(files.render(listing(), "csv")) == expected
    assert files.read_listing(files.render(listing(), "xlsx")) == expected
    assert listing_head(expected) == ("2026-03", "BKPSDM", 42)


def test_a_file_that_is_no_listing() -> None:
    with pytest.raises(NotAListing):
        listing_head(files.as_text(files.deductions_table(listing())))
    with pytest.raises(NotAListing):
        listing_head([files.LISTING])


def test_differences_name_the_row_and_hide_personal_values() -> None:
    expected = files.as_text(files.listing_table(listing()))
    assert first_difference(expected, expected) is None
    net = files.LISTING.index("net")
    changed = [row[:] for row in expected]
    changed[2][net] = "1"
    assert first_difference(changed, expected) == (
        "row 3: column net is '1' in the file, '5555600' in the replay")
    renamed = [row[:] for row in expected]
    renamed[1][files.LISTING.index("name")] = "Someone Else"
    said = first_difference(renamed, expected)
    assert said == "row 2: column name differs (personal data, not shown)"
    assert first_difference(expected[:-1], expected) == (
        "the file has 3 rows, the replay 4: row 4 is missing from the file")
    assert first_difference(expected, expected[:-1]) == (
        "the file has 4 rows, the replay 3: row 4 is missing from the replay")
    longer = [row[:] for row in expected]
    longer[1].append("extra")
    assert first_difference(longer, expected) == "row 2: the row has other columns than a listing"
