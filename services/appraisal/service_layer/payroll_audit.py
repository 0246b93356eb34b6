"""Payroll listings at a position: export one as of any event position (a replay into a
scratch SQLite file), and check a listing file against such a replay, naming the first row
that differs. A listing file states its period, unit and position on every row."""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from services.appraisal.adapters import payroll_files as files
from services.appraisal.adapters import targets
from services.appraisal.domain.payroll_listing import Listing
from services.appraisal.domain.records import AsOf
from services.appraisal.service_layer import replay as rp
from services.appraisal.service_layer.payroll import listing
from shared.db import make_engine
from shared.personal import Reveal, kept_sealed

PERSONAL = frozenset({"nip", "name", "npwp", "bank_name", "bank_account"})
"""Columns whose values a difference report leaves out (personal data)."""


class NotAListing(ValueError):
    """The file is no payroll listing (its header or first row is not one)."""


async def live_listing(url: str, period: str, unit: str,
                       reveal: Reveal = kept_sealed) -> Listing:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await listing(conn, period, unit, reveal=reveal)
    finally:
        await engine.dispose()


async def listing_at(source: rp.Source, period: str, unit: str, position: int,
                     reveal: Reveal = kept_sealed) -> Listing:
    """The listing as it stood at ``position``: every projection replayed up to there;
    ``reveal`` opens the sealed names and finance data (as the read API does)."""
    with tempfile.TemporaryDirectory(prefix="erk-payroll-") as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'replay.db'}"
        await rp.replay_into(url, source, AsOf(position=position), warn=lambda _: None)
        engine = targets.target_engine(url)
        try:
            async with engine.connect() as conn:
                return await listing(conn, period, unit, reveal=reveal)
        finally:
            await engine.dispose()


@dataclass(frozen=True)
class ListingCheck:
    period: str
    unit: str
    position: int
    rows: int
    difference: str | None
    """The first difference in words; None when the file equals the replay."""

    @property
    def ok(self) -> bool:
        return self.difference is None


def listing_head(table: list[list[str]]) -> tuple[str, str, int]:
    """(period, unit, position) of a listing table."""
    if len(table) < 2 or table[0] != files.LISTING or not table[1][2].isdigit():
        raise NotAListing("not a payroll listing: the header differs from "
                          f"{','.join(files.LISTING[:5])},...")
    return table[1][0], table[1][1], int(table[1][2])


async def verify_listing(data: bytes, source: rp.Source, reveal: Reveal) -> ListingCheck:
    """``reveal``: the key store's opener; the file holds names and finance data in the
    clear, the replay sealed (an erased person's rows then differ: docs/privacy.md)."""
    table = files.read_listing(data)
    period, unit, position = listing_head(table)
    replayed = files.as_text(files.listing_table(await listing_at(source, period, unit,
                                                                  position, reveal)))
    return ListingCheck(period, unit, position, len(table) - 2,
                        first_difference(table, replayed))


def first_difference(found: list[list[str]], expected: list[list[str]]) -> str | None:
    """Row 1 is the header; the words leave personal values out."""
    for number, (mine, theirs) in enumerate(zip(found, expected, strict=False), 1):
        if mine != theirs:
            return f"row {number}: {_cells(mine, theirs)}"
    if len(found) != len(expected):
        return (f"the file has {len(found)} rows, the replay {len(expected)}: row "
                f"{min(len(found), len(expected)) + 1} is missing from the "
                f"{'replay' if len(found) > len(expected) else 'file'}")
    return None


def _cells(mine: list[str], theirs: list[str]) -> str:
    for column, name in enumerate(files.LISTING):
        have = mine[column] if column < len(mine) else ""
        want = theirs[column] if column < len(theirs) else ""
        if have != want:
            if name in PERSONAL:
                return f"column {name} differs (personal data, not shown)"
            return f"column {name} is {have!r} in the file, {want!r} in the replay"
    return "the row has other columns than a listing"
