"""``erk-appraisal payroll export``: a unit's payroll listing, deductions recap or PDF recap
for a closed month, from the live projections or as of an event position (a replay). The
same period, unit and position give the same bytes."""

import asyncio
from pathlib import Path

import typer

from services.appraisal.adapters import payroll_files as files
from services.appraisal.domain.payroll_listing import Listing
from services.appraisal.entrypoints.audit_cli import store_source
from services.appraisal.service_layer.payroll_audit import listing_at, live_listing
from services.appraisal.settings import AppraisalSettings
from shared.cli import ExitCode, epilog, exits_clearly
from shared.keystore_pg import opened_with_keys

app = typer.Typer(help="The payroll hand-off: listings and recaps in Rupiah (treasurers).",
                  no_args_is_help=True)


@app.command(epilog=epilog(
    "erk-appraisal payroll export --period 2026-03 --unit BKPSDM --format csv --out listing.csv",
    "erk-appraisal payroll export --period 2026-03 --unit BKPSDM --format pdf --out recap.pdf "
    "--as-of 18250"))
@exits_clearly
def export(
    period: str = typer.Option(..., help="The month, YYYY-MM (closed)."),
    unit: str = typer.Option(..., help="The unit code."),
    format_: str = typer.Option("csv", "--format", help=f"One of {', '.join(files.KINDS)}."),
    out: str = typer.Option(..., help="File to write."),
    as_of: int = typer.Option(None, help="Replay the event store up to this position "
                                         "instead of reading the live projections."),
    live_url: str = typer.Option(None, help="Live projection database (default: appraisal's)."),
    store_url: str = typer.Option(None, help="Event store URL, with --as-of (default: intake's)."),
) -> None:
    """Write a unit's payroll file for a closed month; prints the position it states."""
    if format_ not in files.KINDS:
        raise typer.BadParameter(f"--format is one of {', '.join(files.KINDS)}")

    async def run() -> Listing:
        async with opened_with_keys() as reveal:  # the files carry names in the clear
            if as_of is not None:
                return await listing_at(store_source(store_url), period, unit, as_of, reveal)
            return await live_listing(live_url or AppraisalSettings().database_url, period,
                                      unit, reveal)

    found = asyncio.run(run())
    if not found.closed:
        typer.echo(f"{period} is not closed: no payroll hand-off yet", err=True)
        raise typer.Exit(ExitCode.FAILED)
    Path(out).write_bytes(files.render(found, format_))
    typer.echo(f"wrote {out}: {len(found.rows)} employees, {period} {unit}, position "
               f"{found.position}, policy {found.policy_versions}")
