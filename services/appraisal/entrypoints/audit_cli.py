"""``erk-appraisal audit``: replay, verify, and side-by-side projection versions.

- ``replay``  rebuilds every projection from the event store or Kafka into any database URL
  (PostgreSQL or ``sqlite+aiosqlite:///file.db``), optionally "as of" a position or time.
- ``verify``  checks the event store's hash chain and that a fresh rebuild, stopped where
  the live consumer stands, equals the live projections table by table.
- ``build-version`` / ``swap`` build a new projection version in a schema beside the live
  one and swap it in atomically while the query API keeps serving.

The use cases are ``service_layer.replay``, ``verify`` and ``versions``; this module parses
arguments, shows progress and prints.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

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
from services.appraisal.service_layer import replay as rp
from services.appraisal.service_layer import versions
from services.appraisal.service_layer.verify import AuditReport, run_verify
from services.appraisal.settings import AppraisalSettings
from shared.db import make_engine
from shared.settings import EventStoreSettings, KafkaSettings

app = typer.Typer(help="Replay, verify and version the projections (auditors, operators).",
                  no_args_is_help=True)
console = Console()


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
                                        warn=_warn)

    try:
        return asyncio.run(run())
    except rp.TargetNotEmpty as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
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
) -> None:
    """Rebuild every projection from the event store or Kafka into a database."""
    if from_ not in ("store", "kafka"):
        raise typer.BadParameter("--from is 'store' or 'kafka'")
    kafka = KafkaSettings()
    source = rp.Source("kafka" if from_ == "kafka" else "store",
                       store_url or EventStoreSettings().database_url,
                       kafka_bootstrap or kafka.bootstrap, topic or kafka.events_topic, partitions)
    bound = parse_as_of(as_of)
    stats = _replayed(source, into, bound, batch, resume)
    console.print(
        f"replayed {stats.events:,} events ({stats.records:,} records, {stats.applied:,} "
        f"applied, {stats.skipped:,} skipped, {stats.dead_letters:,} dead letters) as of "
        f"{bound} in {stats.seconds:.1f} s: [bold]{stats.events_per_s:,.0f} events/s[/], "
        f"peak RSS {stats.peak_rss_mb:.0f} MiB")


def print_report(report: AuditReport) -> None:
    table = Table(title="e-RK audit: event store and projections", show_lines=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("details", overflow="fold")
    for check in report.checks:
        colour = "green" if check.result == "PASS" else "red"
        table.add_row(check.name, f"[{colour}]{check.result}[/]", check.details)
    console.print(table)
    verdict = "[bold green]VERIFIED[/]" if report.ok else "[bold red]NOT VERIFIED[/]"
    console.print(f"{verdict} at {datetime.now(UTC).isoformat(timespec='seconds')}")


@app.command()
def verify(
    store_url: str = typer.Option(None, help="Event store URL (default: intake's)."),
    live_url: str = typer.Option(None, help="Live projection database (default: appraisal's)."),
    kafka_bootstrap: str = typer.Option(None, help="Kafka bootstrap (default: configured)."),
    topic: str = typer.Option(None, help="Events topic (default: configured)."),
    partitions: int = typer.Option(None, help="Partition count (default: the topic's)."),
    scratch_url: str = typer.Option(None, help="Rebuild here instead of a temporary SQLite "
                                               "file (must be empty)."),
) -> None:
    """Check the hash chain and that a fresh rebuild equals the live projections.
    Exit code 0 only when everything matches."""
    kafka = KafkaSettings()

    async def run() -> AuditReport:
        with progress_bar("rebuild from the event store") as advance:
            return await run_verify(
                store_url or EventStoreSettings().database_url,
                live_url or AppraisalSettings().database_url,
                kafka_bootstrap or kafka.bootstrap, topic or kafka.events_topic, partitions,
                scratch_url=scratch_url, progress=advance, warn=_warn)

    report = asyncio.run(run())
    print_report(report)
    raise typer.Exit(0 if report.ok else 1)


@app.command("build-version")
def build_version(
    live_url: str = typer.Option(None, help="Live projection database (default: appraisal's)."),
    kafka_bootstrap: str = typer.Option(None, help="Kafka bootstrap (default: configured)."),
    topic: str = typer.Option(None, help="Events topic (default: configured)."),
) -> None:
    """Build a new projection version beside the live one (schema erk_build_<n>)."""
    kafka = KafkaSettings()

    async def run() -> tuple[str, rp.ReplayStats]:
        with progress_bar("build a version from Kafka") as advance:
            return await versions.build_version(live_url or AppraisalSettings().database_url,
                                                kafka_bootstrap or kafka.bootstrap,
                                                topic or kafka.events_topic, progress=advance)

    schema, stats = asyncio.run(run())
    console.print(f"built [bold]{schema}[/]: {stats.events:,} records in {stats.seconds:.1f} s "
                  f"({stats.events_per_s:,.0f}/s), peak RSS {stats.peak_rss_mb:.0f} MiB; "
                  f"swap it in with: audit swap --schema {schema}")


@app.command("swap")
def swap(
    schema: str = typer.Option(..., help="Schema to make live (a build, or a kept previous "
                                         "version to roll back to)."),
    live_url: str = typer.Option(None, help="Live projection database (default: appraisal's)."),
    kafka_bootstrap: str = typer.Option(None, help="Kafka bootstrap (default: configured)."),
    topic: str = typer.Option(None, help="Events topic (default: configured)."),
    live_schema: str = typer.Option("public", help="Schema the services read."),
    keep_as: str = typer.Option(None, help="Name for the replaced version "
                                           "(default erk_prev_<timestamp>)."),
) -> None:
    """Catch a version up and swap it with the live one atomically; the old one is kept."""
    kafka = KafkaSettings()

    async def run() -> versions.SwapResult:
        engine = make_engine(live_url or AppraisalSettings().database_url, pool_size=2)
        try:
            return await versions.swap(engine, schema, kafka_bootstrap or kafka.bootstrap,
                                       topic or kafka.events_topic, live_schema, keep_as)
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    console.print(f"{schema} is now live as {result.live_schema} ({result.caught_up_records} "
                  f"records applied under the lock); the previous version is kept as "
                  f"[bold]{result.previous_schema}[/]")


if __name__ == "__main__":
    app()
