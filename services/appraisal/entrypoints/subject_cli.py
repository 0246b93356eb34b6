"""``erk-appraisal subject-access``: a data subject's access export (UU PDP art. 32: within
3 x 24 hours; this takes seconds) as JSON and PDF files. The export is itself recorded as
a read of the person's data, by the operator who ran it."""

import asyncio
import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import typer

from services.appraisal.adapters import personal_reads
from services.appraisal.adapters.access_pdf import access_pdf
from services.appraisal.adapters.personal_reads import PersonalRead
from services.appraisal.service_layer.subject_access import access_export
from services.appraisal.settings import AppraisalSettings
from shared.cli import ExitCode, epilog, exits_clearly
from shared.clock import ClockSettings, make_clock
from shared.db import make_engine
from shared.keystore_pg import opened_with_keys
from shared.settings import EventStoreSettings

ENDPOINT = "CLI erk-appraisal subject-access"


@exits_clearly
def subject_access(
    nip: str = typer.Argument(..., help="The data subject's NIP."),
    out: str = typer.Option(".", help="Directory for access-NIP.json and .pdf."),
    operator: str = typer.Option(None, help="Who runs it, for the record of reads "
                                            "(default: the login name)."),
    live_url: str = typer.Option(None, help="Projection database (default: appraisal's)."),
    store_url: str = typer.Option(None, help="Event store, read-only (default: intake's)."),
) -> None:
    """Write a person's access export: their data, events and who read them, as JSON and
    PDF (without other people's personal data: docs/privacy-rights.md)."""
    found = asyncio.run(_export(live_url or AppraisalSettings().database_url,
                                store_url or EventStoreSettings().database_url, nip,
                                operator or getpass.getuser()))
    if found is None:
        typer.echo(f"no employee with this NIP in {live_url or 'the projections'}", err=True)
        raise typer.Exit(ExitCode.FAILED)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"access-{nip}.json").write_bytes(orjson.dumps(
        found, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    (folder / f"access-{nip}.pdf").write_bytes(access_pdf(found))
    typer.echo(f"wrote {out}/access-{nip}.json and .pdf: {len(found['events'])} events, "
               f"{len(found['months'])} months, {len(found['reads'])} reads")


EPILOG = epilog("erk-appraisal subject-access 199001012015032001 --out exports/")


async def _export(live_url: str, store_url: str, nip: str, operator: str) -> (
    dict[str, Any] | None
):
    engine = make_engine(live_url, pool_size=1)
    today = make_clock(ClockSettings(), AppraisalSettings().environment).today()
    try:
        async with opened_with_keys() as reveal:  # the person's own sealed fields, opened
            found: dict[str, Any] | None = await reveal(
                await access_export(engine, store_url, nip, today))
        if found is not None:
            await personal_reads.record(engine, [PersonalRead(
                datetime.now(UTC), nip, operator, "admin", ENDPOINT)])
        return found
    finally:
        await engine.dispose()
