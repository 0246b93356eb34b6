"""``erk-appraisal audit``: replay, verify, and side-by-side projection versions.

- ``replay``  rebuilds every projection from the event store or Kafka into any database URL
  (PostgreSQL or ``sqlite+aiosqlite:///file.db``), optionally "as of" a position or time.
- ``verify``  checks the event store's hash chain, its signed checkpoints and its Kafka copy
  (``shared.anchoring``), and that a fresh rebuild, stopped where the live consumer stands,
  equals the live projections table by table.
- ``build-version`` / ``swap`` build a new projection version in a schema beside the live
  one and swap it in atomically while the query API keeps serving.

The use cases are ``service_layer.replay``, ``verify`` and ``versions``; this module parses
arguments, shows progress and prints.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from services.appraisal.adapters import sources
from services.appraisal.domain.records import AsOf
from services.appraisal.entrypoints.audit_output import (
    replay_summary,
    report_document,
    swap_document,
)
from services.appraisal.service_layer import replay as rp
from services.appraisal.service_layer import versions
from services.appraisal.service_layer.payroll_audit import (
    ListingCheck,
    NotAListing,
    verify_listing,
)
from services.appraisal.service_layer.verify import AuditReport, run_verify
from services.appraisal.settings import AppraisalSettings, PseudonymSettings
from shared.cli import JSON_HELP, epilog, exits_clearly, print_json
from shared.db import make_engine
from shared.keystore_pg import opened_with_keys
from shared.settings import EventStoreSettings, KafkaSettings

app = typer.Typer(help="Replay, verify and version the projections (auditors, operators).",
                  no_args_is_help=True)
console = Console(stderr=True)  # progress and warnings: stdout is the result's
out = Console()


def parse_as_of(value: str | None) -> AsOf:
    """A global position (digits) or an ISO-8601 time (UTC when no offset is given)."""
    if not value:
        return AsOf()
    if value.isdigit():
        return AsOf(position=int(value))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"--as-of takes a position or an ISO time, not {value!r}") \
            from exc
    return AsOf(moment=moment if moment.tzinfo else moment.replace(tzinfo=UTC))


@contextmanager
def progress_bar(description: str) -> Iterator[rp.Progress]:
    """A progress bar, and the callback that advances it."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task(description, total=None)
        yield lambda advanced, total: bar.update(task, total=total, advance=advanced)


def _warn(message: str) -> None:
    console.print(f"[yellow]{message}[/]")


def _replayed(source: rp.Source, into: str, as_of: AsOf, batch: int, resume: bool) -> (
    rp.ReplayStats
):
    async def run() -> rp.ReplayStats:
        with progress_bar(f"replay from {'Kafka' if source.kind == 'kafka' else 'the event store'}"
                          ) as advance:
            return await rp.replay_into(into, source, as_of, batch, resume, progress=advance,
                                        warn=_warn, gate=AppraisalSettings().gate())

    try:
        return asyncio.run(run())
    except rp.TargetNotEmpty as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command(epilog=epilog(
    "erk-appraisal audit replay --into sqlite+aiosqlite:///audit.db",
    "erk-appraisal audit replay --from kafka --into postgresql+asyncpg://erk:erk@127.0.0.1/"
    "rebuilt --as-of 2026-03-31T17:00:00+07:00",
    "erk-appraisal audit replay --into sqlite+aiosqlite:///audit.db --resume --json"))
@exits_clearly
def replay(
    from_: str = typer.Option("store", "--from", help="Source: 'store' or 'kafka'."),
    into: str = typer.Option(..., help="Target database URL (PostgreSQL or "
                                       "sqlite+aiosqlite:///file.db); migrated first."),
    store_url: str = typer.Option(None, help="Event store URL (default: intake's)."),
    kafka_bootstrap: str = typer.Option(None, help="Kafka bootstrap (default: configured)."),
    topic: str = typer.Option(None, help="Events topic (default: configured)."),
    as_of: str = typer.Option(None, help="Stop at a global position or an ISO time "
                                         "(recorded_at; UTC unless an offset is given)."),
    partitions: int = typer.Option(None, help="Partition count to assign store events to "
                                              "(default: the topic's, else 6)."),
    batch: int = typer.Option(sources.BATCH, help="Records per transaction."),
    resume: bool = typer.Option(False, help="Continue an interrupted replay into --into."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Rebuild every projection from the event store or Kafka into a database."""
    if from_ not in ("store", "kafka"):
        raise typer.BadParameter("--from is 'store' or 'kafka'")
    kafka = KafkaSettings()
    source = rp.Source("kafka" if from_ == "kafka" else "store",
                       store_url or EventStoreSettings().database_url,
                       kafka.access(kafka_bootstrap), topic or kafka.events_topic, partitions,
                       None if from_ == "kafka" else PseudonymSettings().pseudonyms())
    bound = parse_as_of(as_of)
    stats = _replayed(source, into, bound, batch, resume)
    if json_:
        print_json(replay_summary(stats, bound))
        return
    out.print(
        f"replayed {stats.events:,} events ({stats.records:,} records, {stats.applied:,} "
        f"applied, {stats.skipped:,} skipped, {stats.dead_letters:,} dead letters) as of "
        f"{bound} in {stats.seconds:.1f} s: [bold]{stats.events_per_s:,.0f} events/s[/], "
        f"peak RSS {stats.peak_rss_mb:.0f} MiB")


def print_report(report: AuditReport, at: datetime) -> None:
    table = Table(title="e-RK audit: event store and projections", show_lines=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("details", overflow="fold")
    for check in report.checks:
        colour = {"PASS": "green", "WARN": "yellow"}.get(check.result, "red")
        table.add_row(check.name, f"[{colour}]{check.result}[/]", check.details)
    out.print(table)
    verdict = "[bold green]VERIFIED[/]" if report.ok else "[bold red]NOT VERIFIED[/]"
    if report.ok and report.anchoring and report.anchoring.unanchored:
        verdict += f" ({report.anchoring.unanchored} latest event(s) not anchored yet)"
    out.print(f"{verdict} at {at.isoformat(timespec='seconds')}")


@app.command(epilog=epilog(
    "erk-appraisal audit verify",
    "erk-appraisal audit verify --json | jq '.checks[] | select(.result == \"FAIL\")'",
    "erk-appraisal audit verify --scratch-url postgresql+asyncpg://erk:erk@127.0.0.1/scratch"))
@exits_clearly
def verify(
    store_url: str = typer.Option(None, help="Event store URL (default: intake's)."),
    live_url: str = typer.Option(None, help="Live projection database (default: appraisal's)."),
    kafka_bootstrap: str = typer.Option(None, help="Kafka bootstrap (default: configured)."),
    topic: str = typer.Option(None, help="Events topic (default: configured)."),
    partitions: int = typer.Option(None, help="Partition count (default: the topic's)."),
    scratch_url: str = typer.Option(None, help="Rebuild here instead of a temporary SQLite "
                                               "file (must be empty)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Check the hash chain, its signed checkpoints and Kafka copy, and that a fresh rebuild
    equals the live projections. Exit code 0 when no check failed (a warning, such as the
    latest events not anchored yet, is no failure), 1 when one did."""
    kafka = KafkaSettings()

    async def run() -> AuditReport:
        with progress_bar("rebuild from the event store") as advance:
            return await run_verify(
                store_url or EventStoreSettings().database_url,
                live_url or AppraisalSettings().database_url,
                kafka.access(kafka_bootstrap), topic or kafka.events_topic, partitions,
                scratch_url=scratch_url, progress=advance, warn=_warn,
                pseudonyms=PseudonymSettings().pseudonyms())

    report = asyncio.run(run())
    at = datetime.now(UTC)
    if json_:
        print_json(report_document(report, at))
    else:
        print_report(report, at)
    raise typer.Exit(0 if report.ok else 1)


def store_source(store_url: str | None = None, partitions: int | None = None) -> rp.Source:
    """The event store as a replay source (the configured one unless given)."""
    kafka = KafkaSettings()
    return rp.Source("store", store_url or EventStoreSettings().database_url, kafka.access(),
                     kafka.events_topic, partitions, PseudonymSettings().pseudonyms())


@app.command("verify-listing", epilog=epilog(
    "erk-appraisal audit verify-listing tpp-2026-03-BKPSDM-18250-listing.csv",
    "erk-appraisal audit verify-listing listing.xlsx --json"))
@exits_clearly
def verify_listing_file(
    path: str = typer.Argument(..., metavar="FILE", help="A payroll listing, CSV or XLSX."),
    store_url: str = typer.Option(None, help="Event store URL (default: intake's)."),
    partitions: int = typer.Option(None, help="Partition count (default: the topic's)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Replay the event store up to the position a payroll listing states and compare the
    listing row by row: exit 0 when they are equal, 1 naming the first row that differs."""
    file = Path(path)
    if not file.is_file():
        raise typer.BadParameter(f"{path}: no such file")
    try:
        check = asyncio.run(_verify_listing(file.read_bytes(), store_source(store_url,
                                                                            partitions)))
    except NotAListing as exc:
        raise typer.BadParameter(str(exc)) from exc
    if json_:
        print_json({"period": check.period, "unit": check.unit, "position": check.position,
                    "rows": check.rows, "ok": check.ok, "difference": check.difference})
    elif check.ok:
        out.print(f"[bold green]VERIFIED[/] {file.name}: {check.rows} rows of {check.unit} "
                  f"{check.period} equal a replay up to position {check.position}")
    else:
        out.print(f"[bold red]NOT VERIFIED[/] {file.name} against a replay up to position "
                  f"{check.position}: {check.difference}")
    raise typer.Exit(0 if check.ok else 1)


@app.command("build-version", epilog=epilog(
    "erk-appraisal audit build-version",
    "erk-appraisal audit build-version --json | jq -r .schema"))
@exits_clearly
def build_version(
    live_url: str = typer.Option(None, help="Live projection database (default: appraisal's)."),
    kafka_bootstrap: str = typer.Option(None, help="Kafka bootstrap (default: configured)."),
    topic: str = typer.Option(None, help="Events topic (default: configured)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Build a new projection version beside the live one (schema erk_build_<n>)."""
    kafka = KafkaSettings()

    async def run() -> tuple[str, rp.ReplayStats]:
        with progress_bar("build a version from Kafka") as advance:
            settings = AppraisalSettings()
            return await versions.build_version(live_url or settings.database_url,
                                                kafka.access(kafka_bootstrap),
                                                topic or kafka.events_topic, progress=advance,
                                                gate=settings.gate())

    schema, stats = asyncio.run(run())
    if json_:
        print_json({"schema": schema, **replay_summary(stats)})
        return
    out.print(f"built [bold]{schema}[/]: {stats.events:,} records in {stats.seconds:.1f} s "
                  f"({stats.events_per_s:,.0f}/s), peak RSS {stats.peak_rss_mb:.0f} MiB; "
                  f"swap it in with: audit swap --schema {schema}")


@app.command("swap", epilog=epilog(
    "erk-appraisal audit swap --schema erk_build_3",
    "erk-appraisal audit swap --schema erk_prev_20260401030000   # roll back",
    "erk-appraisal audit swap --schema erk_build_3 --keep-as erk_before_april --json"))
@exits_clearly
def swap(
    schema: str = typer.Option(..., help="Schema to make live (a build, or a kept previous "
                                         "version to roll back to)."),
    live_url: str = typer.Option(None, help="Live projection database (default: appraisal's)."),
    kafka_bootstrap: str = typer.Option(None, help="Kafka bootstrap (default: configured)."),
    topic: str = typer.Option(None, help="Events topic (default: configured)."),
    live_schema: str = typer.Option("public", help="Schema the services read."),
    keep_as: str = typer.Option(None, help="Name for the replaced version "
                                           "(default erk_prev_<timestamp>)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Catch a version up and swap it with the live one atomically; the old one is kept."""
    kafka = KafkaSettings()

    async def run() -> versions.SwapResult:
        settings = AppraisalSettings()
        engine = make_engine(live_url or settings.database_url, pool_size=2)
        try:
            return await versions.swap(engine, schema, kafka.access(kafka_bootstrap),
                                       topic or kafka.events_topic, live_schema, keep_as,
                                       gate=settings.gate())
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    if json_:
        print_json(swap_document(schema, result))
        return
    out.print(f"{schema} is now live as {result.live_schema} ({result.caught_up_records} "
                  f"records applied under the lock); the previous version is kept as "
                  f"[bold]{result.previous_schema}[/]")


if __name__ == "__main__":
    app()


async def _verify_listing(data: bytes, source: rp.Source) -> ListingCheck:
    async with opened_with_keys() as reveal:  # the file holds names in the clear
        return await verify_listing(data, source, reveal)
