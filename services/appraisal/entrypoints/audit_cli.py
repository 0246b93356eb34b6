"""``erk-appraisal audit``: replay, verify, and side-by-side projection versions.

- ``replay``  rebuilds every projection from the event store or Kafka into any database URL
  (PostgreSQL or ``sqlite+aiosqlite:///file.db``), optionally "as of" a position or time.
- ``verify``  checks the event store's hash chain and that a fresh rebuild, stopped where
  the live consumer stands, equals the live projections table by table.
- ``build-version`` / ``swap`` build a new projection version in a schema beside the live
  one and swap it in atomically while the query API keeps serving.
"""

import asyncio
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

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
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.adapters import rebuild as rb
from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.settings import AppraisalSettings
from shared.db import make_engine
from shared.history import ChainReport, EventHistory, verify_chain
from shared.settings import EventStoreSettings, KafkaSettings
from shared.topics import EVENTS_PARTITIONS

app = typer.Typer(help="Replay, verify and version the projections (auditors, operators).",
                  no_args_is_help=True)
console = Console()


@dataclass(frozen=True)
class AsOf:
    position: int | None = None
    moment: datetime | None = None

    def __str__(self) -> str:
        if self.position is not None:
            return f"position {self.position}"
        return self.moment.isoformat() if self.moment else "now"


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


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=console, transient=False)


async def _partitions(given: int | None, bootstrap: str, topic: str) -> int:
    if given:
        return given
    try:
        return await asyncio.wait_for(rb.topic_partitions(bootstrap, topic), 15)
    except Exception as exc:
        console.print(f"[yellow]partition count of {topic} unknown ({exc}); "
                      f"assuming {EVENTS_PARTITIONS} (use --partitions)[/]")
        return EVENTS_PARTITIONS


# -- replay -------------------------------------------------------------------------------------

NOW = AsOf()


async def replay_store(
    store_url: str, engine: AsyncEngine, topic: str, partitions: int, as_of: AsOf = NOW,
    limits: dict[int, int] | None = None, batch: int = rb.BATCH, show: bool = True,
) -> rb.ReplayStats:
    async with EventHistory(store_url, page=batch) as history:
        upto = await history.resolve(as_of.position, as_of.moment)
        if limits is not None:
            upto = min(upto, max(limits.values(), default=0))
        source = rb.SourceStats()
        batches = rb.store_batches(history, topic, partitions, upto, limits, batch, source)
        if not show:
            return await rb.apply_batches(engine, batches, source)
        with _progress() as bar:
            task = bar.add_task("replay from the event store", total=upto)
            return await rb.apply_batches(engine, batches, source,
                                          progress=lambda n: bar.advance(task, n))


async def replay_kafka(
    bootstrap: str, engine: AsyncEngine, topic: str, as_of: AsOf = NOW,
    batch: int = rb.BATCH, show: bool = True,
) -> rb.ReplayStats:
    source, window = rb.SourceStats(), rb.KafkaRange()
    batches = rb.kafka_batches(bootstrap, topic, as_of.position, as_of.moment, batch=batch,
                               stats=source, window=window)
    if not show:
        return await rb.apply_batches(engine, batches, source)
    with _progress() as bar:
        task = bar.add_task("replay from Kafka", total=None)

        def advance(n: int) -> None:
            bar.update(task, total=window.total, advance=n)

        return await rb.apply_batches(engine, batches, source, progress=advance)


async def _replay(source: str, store_url: str, bootstrap: str, topic: str, into: str,
                  as_of: AsOf, partitions: int | None, batch: int, resume: bool) -> None:
    await rb.migrate_target(into)
    engine = rb.target_engine(into)
    try:
        if not resume and not await rb.target_is_empty(engine):
            raise typer.BadParameter(f"{into} already holds projections; give an empty "
                                     "database, or --resume to continue that replay")
        if source == "store":
            count = await _partitions(partitions, bootstrap, topic)
            stats = await replay_store(store_url, engine, topic, count, as_of, batch=batch)
        else:
            stats = await replay_kafka(bootstrap, engine, topic, as_of, batch=batch)
    finally:
        await engine.dispose()
    console.print(
        f"replayed {stats.events:,} events ({stats.records:,} records, {stats.applied:,} "
        f"applied, {stats.skipped:,} skipped, {stats.dead_letters:,} dead letters) as of "
        f"{as_of} in {stats.seconds:.1f} s: [bold]{stats.events_per_s:,.0f} events/s[/], "
        f"peak RSS {stats.peak_rss_mb:.0f} MiB")


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
    batch: int = typer.Option(rb.BATCH, help="Records per transaction."),
    resume: bool = typer.Option(False, help="Continue an interrupted replay into --into."),
) -> None:
    """Rebuild every projection from the event store or Kafka into a database."""
    if from_ not in ("store", "kafka"):
        raise typer.BadParameter("--from is 'store' or 'kafka'")
    kafka = KafkaSettings()
    asyncio.run(_replay(from_, store_url or EventStoreSettings().database_url,
                        kafka_bootstrap or kafka.bootstrap, topic or kafka.events_topic, into,
                        parse_as_of(as_of), partitions, batch, resume))


# -- verify -------------------------------------------------------------------------------------

Result = Literal["PASS", "FAIL"]


@dataclass
class Check:
    name: str
    result: Result
    details: str


@dataclass
class AuditReport:
    checks: list[Check] = field(default_factory=list)
    chain: ChainReport | None = None
    replay: rb.ReplayStats | None = None

    @property
    def ok(self) -> bool:
        return all(c.result == "PASS" for c in self.checks)


async def run_verify(store_url: str, live_url: str, bootstrap: str, topic: str,
                     partitions: int | None = None, live_schema: str | None = None,
                     scratch_url: str | None = None, show: bool = True) -> AuditReport:
    """The audit: the chain of the whole store, then a rebuild stopped where the live
    consumer stands, compared with the live projections table by table."""
    report = AuditReport()
    chain = report.chain = await verify_chain(store_url)
    report.checks.append(Check(
        "hash chain", "PASS" if chain.ok else "FAIL",
        f"{chain.events:,} events, head position {chain.head_position}, "
        f"head hash {chain.head_hash[:16]}…" if chain.ok else
        f"{len(chain.findings)} problem(s) in {chain.events:,} events"))
    for finding in chain.findings:
        report.checks.append(Check(
            f"  event {finding.position}", "FAIL",
            f"{finding.kind.upper()}"
            f"{f' (event_id {finding.event_id})' if finding.event_id else ''}: {finding.detail}"))

    # The live state: positions and checksums from one snapshot (the consumer keeps going).
    live_engine = make_engine(live_url, pool_size=2)
    try:
        async with live_engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                await rb.in_schema(conn, live_schema)
                positions = await rb.stored_positions(conn, topic)
                live_sums = await table_checksums(conn)
    finally:
        await live_engine.dispose()
    limits = rb.partition_limits(positions)
    count = await _partitions(partitions, bootstrap, topic)
    if positions and max(positions) >= count:
        report.checks.append(Check("partitions", "FAIL", f"live consumer has partition "
                                   f"{max(positions)}, but the topic has {count}"))

    with tempfile.TemporaryDirectory(prefix="erk-verify-") as scratch_dir:
        url = scratch_url or f"sqlite+aiosqlite:///{Path(scratch_dir) / 'rebuild.db'}"
        await rb.migrate_target(url)
        engine = rb.target_engine(url)
        try:
            report.replay = await replay_store(store_url, engine, topic, count, limits=limits,
                                               show=show)
            async with engine.connect() as conn:
                rebuilt_sums = await table_checksums(conn)
        finally:
            await engine.dispose()
    where = ", ".join(f"p{p}@{last}" for p, last in sorted(limits.items())) or "nothing yet"
    report.checks.append(Check("rebuild", "PASS", f"{report.replay.events:,} events replayed "
                               f"up to the live positions ({where}) over {count} partitions"))
    for table, (live_rows, live_sum) in live_sums.items():
        rows, digest = rebuilt_sums[table]
        same = (rows, digest) == (live_rows, live_sum)
        report.checks.append(Check(
            f"table {table}", "PASS" if same else "FAIL",
            f"{rows:,} rows, checksum {digest[:16]}…" if same else
            f"live {live_rows:,} rows {live_sum[:16]}… ≠ rebuilt {rows:,} rows {digest[:16]}…"))
    return report


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
    report = asyncio.run(run_verify(
        store_url or EventStoreSettings().database_url,
        live_url or AppraisalSettings().database_url,
        kafka_bootstrap or kafka.bootstrap, topic or kafka.events_topic, partitions,
        scratch_url=scratch_url))
    print_report(report)
    raise typer.Exit(0 if report.ok else 1)


# -- versions -----------------------------------------------------------------------------------

async def build_version(live_url: str, bootstrap: str, topic: str, show: bool = True) -> tuple[
    str, rb.ReplayStats
]:
    """A new projection version in a fresh schema of the live database, built from Kafka
    (real offsets, so the live consumer can continue from it after a swap)."""
    engine = make_engine(live_url, pool_size=2)
    try:
        schema = await rb.new_build_schema(engine)
        await rb.migrate_schema(live_url, schema)
        if not show:
            return schema, await rb.catch_up(engine, schema, bootstrap, topic)
        with _progress() as bar:
            task = bar.add_task(f"build {schema} from Kafka", total=None)
            stats = await rb.catch_up(engine, schema, bootstrap, topic,
                                      progress=lambda n: bar.advance(task, n))
        return schema, stats
    finally:
        await engine.dispose()


@app.command("build-version")
def build_version_cmd(
    live_url: str = typer.Option(None, help="Live projection database (default: appraisal's)."),
    kafka_bootstrap: str = typer.Option(None, help="Kafka bootstrap (default: configured)."),
    topic: str = typer.Option(None, help="Events topic (default: configured)."),
) -> None:
    """Build a new projection version beside the live one (schema erk_build_<n>)."""
    kafka = KafkaSettings()
    schema, stats = asyncio.run(build_version(live_url or AppraisalSettings().database_url,
                                              kafka_bootstrap or kafka.bootstrap,
                                              topic or kafka.events_topic))
    console.print(f"built [bold]{schema}[/]: {stats.events:,} records in {stats.seconds:.1f} s "
                  f"({stats.events_per_s:,.0f}/s), peak RSS {stats.peak_rss_mb:.0f} MiB; "
                  f"swap it in with: audit swap --schema {schema}")


@app.command("swap")
def swap_cmd(
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

    async def run() -> rb.SwapResult:
        engine = make_engine(live_url or AppraisalSettings().database_url, pool_size=2)
        try:
            return await rb.swap(engine, schema, kafka_bootstrap or kafka.bootstrap,
                                 topic or kafka.events_topic, live_schema, keep_as)
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    console.print(f"{schema} is now live as {result.live_schema} ({result.caught_up_records} "
                  f"records applied under the lock); the previous version is kept as "
                  f"[bold]{result.previous_schema}[/]")


if __name__ == "__main__":
    app()
