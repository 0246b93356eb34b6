"""``python -m services.simulator.cli``: a synthetic organisation and its traffic, through the
public APIs only (intake HTTP, the Kafka ingress topic; the appraisal API to read back)."""

import asyncio
import contextlib
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from services.simulator.adapters.intake_http import IntakeClient
from services.simulator.adapters.kafka_ingress import IngressProducer, end_offsets
from services.simulator.adapters.tokens import Tokens
from services.simulator.domain.org import Organisation, build_organisation
from services.simulator.domain.regime2022 import MIN_EMPLOYEES, agency_code, build_2022_agency
from services.simulator.domain.traffic import (
    Action,
    month_bounds,
    plan_day,
    plan_days,
    plan_live_day,
    plan_reviews,
    working_days,
)
from services.simulator.service_layer import regime2022, setup
from services.simulator.service_layer.driver import Driver, Stats, settle_ingress
from shared.kafka_access import KafkaAccess
from shared.policy import default_policy_path, load_policy
from shared.settings import KafkaSettings

app = typer.Typer(help="e-RK simulator: a synthetic organisation and its e-Samsat traffic.",
                  no_args_is_help=True)
console = Console()

INTAKE = typer.Option("http://127.0.0.1:8001", "--intake-url", help="Intake base URL.")
APPRAISAL = typer.Option("http://127.0.0.1:8002", "--appraisal-url", help="Appraisal base URL.")
EMPLOYEES = typer.Option(300, "--employees", "-n", min=2, help="Employees in the organisation.")
SEED = typer.Option(1, "--seed", help="Seed: the same seed gives the same org and traffic.")
PROVINCE = typer.Option("jabar", "--province", help="Province code (e-service esamsat-<it>).")
POLICY = typer.Option(None, "--policy-file", help="Policy YAML (default: the shipped one).")
# defaults come from the environment when a command runs, not when the module is imported
BOOTSTRAP = typer.Option(default_factory=lambda: KafkaSettings().bootstrap,
                         show_default="ERK_KAFKA_BOOTSTRAP or 127.0.0.1:9092",
                         help="Kafka bootstrap servers.")
INGRESS = typer.Option(default_factory=lambda: KafkaSettings().ingress_topic,
                       show_default="ERK_KAFKA_INGRESS_TOPIC", help="Kafka ingress topic.")
REJECTED = typer.Option(default_factory=lambda: KafkaSettings().rejected_topic,
                        show_default="ERK_KAFKA_REJECTED_TOPIC", help="Ingress refusals.")
GROUP = typer.Option("erk-intake-ingress", "--ingress-group",
                     help="Intake's ingress consumer group (to wait until it ingested).")
TIMEZONE = typer.Option("Asia/Jakarta", "--timezone", help="Whose calendar 'today' is.")
EFFECTIVE_FROM = typer.Option("2025-01-01", formats=["%Y-%m-%d"],
                              help="Date the reporting lines hold from.")
CSV_OUT = typer.Option(None, "--csv", help="Also write the roster CSV here.")
JSON_OUT = typer.Option(None, "--json", help="Write the summary as JSON.")


def _today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def _org(employees: int, seed: int, province: str) -> Organisation:
    return build_organisation(employees, seed, province)


def _describe(org: Organisation) -> None:
    table = Table(title=f"Organisation (seed {org.seed}): {len(org.employees)} employees, "
                        f"{len(org.units)} units")
    for column in ("unit", "name", "head", "employees", "structural", "e-Samsat counter"):
        table.add_column(column)
    by_unit: dict[str, list[Any]] = {}
    for e in org.employees:
        by_unit.setdefault(e.unit, []).append(e)
    shown = org.units[:12]
    for unit in shown:
        people = by_unit.get(unit.code, [])
        head = min(people, key=lambda e: e.level) if people else None
        table.add_row(unit.code, unit.name, f"{head.name} ({head.nip})" if head else "-",
                      str(len(people)), str(sum(e.structural for e in people)),
                      str(sum(e.counter for e in people)))
    if len(org.units) > len(shown):
        table.caption = f"... and {len(org.units) - len(shown)} more units"
    console.print(table)


@app.command()
def org(
    employees: int = EMPLOYEES, seed: int = SEED, province: str = PROVINCE,
    intake_url: str = INTAKE, policy_file: Path | None = POLICY,
    effective_from: datetime = EFFECTIVE_FROM,
    chunk_rows: int = typer.Option(50_000, min=1, max=50_000, help="Rows per CSV import."),
    csv_out: Path | None = CSV_OUT,
    dry_run: bool = typer.Option(False, help="Build and show the organisation, import nothing."),
) -> None:
    """Build a synthetic Bapenda with UPT Samsat offices and import it (admin, CSV)."""
    organisation = _org(employees, seed, province)
    _describe(organisation)
    if csv_out is not None:
        from services.simulator.domain.org import roster_chunks
        csv_out.write_text("".join(roster_chunks(organisation, effective_from.date(),
                                                 10**9)))
        console.print(f"roster CSV written to {csv_out}")
    if dry_run:
        return

    async def go() -> None:
        async with IntakeClient(intake_url, Tokens()) as client:
            policy = load_policy(policy_file or default_policy_path())
            published = await setup.publish(client, policy)
            console.print(f"policy {policy.version}: "
                          f"{'published' if published.get('published') else 'already in place'}")
            results = await setup.import_roster(client, organisation, effective_from.date(),
                                                chunk_rows)
            imported = sum(r.get("imported", 0) for r in results)
            console.print(f"[green]roster imported[/]: {imported} employees in {len(results)} "
                          f"request(s); e-services {organisation.eservice}, "
                          f"{organisation.eoffice}")

    asyncio.run(go())


POLICY_2022 = "erk-permenpanrb-2022-2026.1.yaml"
EMPLOYEES_2022 = typer.Option(13, "--employees", "-n", min=MIN_EMPLOYEES,
                              help="Employees of the 2022 agency.")
POLICY_FILE_2022 = typer.Option(None, "--policy-file",
                                help="A regime 2022 policy (default: the shipped one).")
OTHER_EMPLOYEES = typer.Option(300, "--other-employees", min=2,
                               help="Size of the 2013 demo organisation (its NIPs are kept "
                                    "out of this one).")


@app.command("agency-2022")
def agency_2022(
    employees: int = EMPLOYEES_2022, seed: int = SEED, intake_url: str = INTAKE,
    timezone: str = TIMEZONE, policy_file: Path | None = POLICY_FILE_2022,
    other_employees: int = OTHER_EMPLOYEES, effective_from: datetime = EFFECTIVE_FROM,
) -> None:
    """A second agency (BAPENDA-BANTEN) run under PermenPANRB 6/2022 for the current month:
    its agency policy, roster, SKPs, realisation validated, 360 reviews, ratings confirmed."""
    taken = frozenset(e.nip for e in _org(other_employees, seed, "jabar").employees)
    organisation = build_2022_agency(employees, seed, taken)
    period = _today(timezone).strftime("%Y-%m")
    base = load_policy(policy_file or default_policy_path().with_name(POLICY_2022))

    async def go() -> None:
        async with IntakeClient(intake_url, Tokens()) as client:
            counts = await regime2022.run_month(client, organisation, base, period, seed,
                                                effective_from.date())
        console.print(f"[green]{agency_code(organisation)}[/] under regime 2022 for {period}: "
                      + ", ".join(f"{n} {kind}" for kind, n in counts.items()))

    asyncio.run(go())


def _indicators(policy_file: Path | None) -> list[tuple[str, bool]]:
    policy = load_policy(policy_file or default_policy_path())
    return [(i.name, i.structural_only) for i in policy.indicators]


def _report(stats: Stats, title: str) -> None:
    s = stats.summary()
    console.print(f"\n[bold]{title}[/]: {s['sent']} events in {s['seconds']:.1f} s = "
                  f"[bold]{s['rate']:.0f} events/s[/]")
    table = Table("kind", "accepted", "rejected")
    for kind in sorted(set(s["accepted"]) | set(s["rejected"])):
        table.add_row(kind, str(s["accepted"].get(kind, 0)), str(s["rejected"].get(kind, 0)))
    console.print(table)
    if s["rejection_codes"]:
        console.print("rejections by code: " + ", ".join(
            f"{k}={v}" for k, v in sorted(s["rejection_codes"].items())))
    if s["channels"]:
        console.print("activities by channel: " + ", ".join(
            f"{k}={v}" for k, v in sorted(s["channels"].items())))
    lat = Table("latency (ms)", "n", "p50", "p90", "p99", "max")
    for kind, p in s["latency_ms"].items():
        lat.add_row(kind, str(int(p["n"])), *(f"{p[m]:.1f}" for m in ("p50", "p90", "p99", "max")))
    console.print(lat)


@app.command()
def run(
    rate: float = typer.Option(500, "--rate", "-r", min=0, help="Events a second (0 = max)."),
    mode: str = typer.Option("batch", "--mode", "-m", help="single, batch or kafka."),
    days: int | None = typer.Option(None, "--days", min=1,
                                    help="The last N working days up to today."),
    month: str | None = typer.Option(None, "--month", help="A whole month YYYY-MM (to today)."),
    employees: int = EMPLOYEES, seed: int = SEED, province: str = PROVINCE,
    limit: int | None = typer.Option(None, "--limit", min=1, help="Stop after N events."),
    reviews: bool = typer.Option(True, help="End with the month's 360 reviews."),
    skip_today: bool = typer.Option(False, help="Stop at yesterday (leave today to `live`)."),
    import_org: bool = typer.Option(False, "--import-org", help="Import the org first."),
    concurrency: int = typer.Option(32, min=1, help="Requests in flight."),
    batch_size: int = typer.Option(500, min=1, max=1000, help="Activities per HTTP batch."),
    intake_url: str = INTAKE, appraisal_url: str = APPRAISAL, policy_file: Path | None = POLICY,
    kafka_bootstrap: str = BOOTSTRAP, ingress_topic: str = INGRESS,
    rejected_topic: str = REJECTED, ingress_group: str = GROUP, timezone: str = TIMEZONE,
    json_out: Path | None = JSON_OUT,
) -> None:
    """Drive days (or a month) of activities, validations and 360 reviews through intake."""
    if mode not in ("single", "batch", "kafka"):
        raise typer.BadParameter("mode must be single, batch or kafka")
    today = _today(timezone)
    last_day = today - timedelta(days=1) if skip_today else today
    if month is not None:
        first, last = month_bounds(month)
        if first > today:
            raise typer.BadParameter(f"month {month} has not started yet")
        day_list = working_days(first, min(last, last_day))
    else:
        day_list = working_days(last_day - timedelta(days=3 * (days or 1) + 7), last_day)
        day_list = day_list[-(days or 1):]
    if not day_list:
        raise typer.BadParameter("no working day in that range (weekends are not worked)")
    period = f"{day_list[-1]:%Y-%m}"
    organisation = _org(employees, seed, province)
    indicators = _indicators(policy_file)

    def actions() -> Iterator[Action]:
        yield from plan_days(organisation, day_list, seed)
        if reviews:
            yield from plan_reviews(organisation, period, seed, indicators)

    sample = plan_day(organisation, day_list[0], seed)
    estimate = len(day_list) * (len(sample.reports) + len(sample.decisions) +
                                2 * len(sample.follow_ups)) + (len(organisation.employees) * 4
                                                           if reviews else 0)
    if limit is not None:
        estimate = min(estimate, limit)
    summary = asyncio.run(_run(
        organisation, actions(), estimate, mode, rate, concurrency, batch_size, limit,
        import_org, intake_url, appraisal_url, policy_file, day_list[0], today, period,
        KafkaSettings().access(kafka_bootstrap), ingress_topic, rejected_topic, ingress_group))
    if json_out is not None:
        json_out.write_text(json.dumps(summary, indent=2))
        console.print(f"summary written to {json_out}")


async def _run(organisation: Organisation, actions: Iterator[Action], estimate: int, mode: str,
               rate: float, concurrency: int, batch_size: int, limit: int | None,
               import_org: bool, intake_url: str, appraisal_url: str,
               policy_file: Path | None, first_day: date, today: date, period: str,
               access: KafkaAccess, ingress_topic: str, rejected_topic: str,
               ingress_group: str) -> dict[str, Any]:
    tokens = Tokens()
    async with IntakeClient(intake_url, tokens, concurrency) as client:
        if import_org:
            await setup.import_roster(client, organisation, date(2025, 1, 1))
            console.print(f"roster imported: {len(organisation.employees)} employees")
        base = load_policy(policy_file or default_policy_path())
        sim = setup.backdating_policy(base, f"{first_day:%Y-%m}", first_day, today)
        if sim is not None:
            result = await setup.publish(client, sim)
            console.print(
                f"[yellow]policy {sim.version}[/] "
                f"{'published' if result.get('published') else 'already published'} (admin): "
                f"like {base.version} but with a {sim.backdating_days}-day backdating "
                f"window, effective from {sim.effective_from}, so work dated from {first_day} "
                f"is accepted today. It governs {sim.effective_from} and later periods.")
        console.print(f"driving {len(organisation.employees)} employees, {first_day} .. "
                      f"{today if period == f'{today:%Y-%m}' else period}, mode {mode}, "
                      f"rate {rate or 'max'} events/s")
        with contextlib.ExitStack() as stack:
            progress = stack.enter_context(Progress(
                TextColumn("[bold blue]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TaskProgressColumn(), TimeElapsedColumn(),
                TextColumn("{task.fields[rate]}"), console=console, transient=False))
            task = progress.add_task(f"{mode}", total=estimate, rate="")
            producer = None
            since: dict[int, int] = {}
            if mode == "kafka":
                since = await end_offsets(access, rejected_topic)
                producer = IngressProducer(access, ingress_topic)
                await producer.__aenter__()
            driver: Driver | None = None

            def advance(n: int) -> None:
                assert driver is not None
                elapsed = driver.stats.elapsed or 1e-9
                progress.update(task, advance=n, rate=f"{driver.stats.sent / elapsed:,.0f}/s")

            driver = Driver(organisation, client, mode, rate, concurrency,  # type: ignore[arg-type]
                            batch_size, producer, advance)
            try:
                stats = await driver.run(actions, limit)
            finally:
                if producer is not None:
                    await producer.__aexit__()
            progress.update(task, total=progress.tasks[0].completed)
        if producer is not None:
            console.print("waiting for intake to ingest the Kafka records ...")
            ingested = await settle_ingress(stats, producer.produced, access, ingress_topic,
                                            rejected_topic, ingress_group, since)
            if not ingested:
                console.print("[red]intake has not ingested every record yet: counts of the "
                              "Kafka part are provisional[/]")
        _report(stats, "run finished")
        await _appraisal_glance(appraisal_url, tokens, period)
        return {"mode": mode, "period": period, "employees": len(organisation.employees),
                **stats.summary()}


async def _appraisal_glance(url: str, tokens: Tokens, period: str) -> None:
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5,
                                     headers=tokens.header("simulator", "dashboard")) as http:
            answer = await http.get(f"/v1/periods/{period}/eligibility", params={"limit": 1})
            if answer.status_code == 200:
                console.print(f"appraisal: {answer.json()['total']} eligibility rows for "
                              f"{period} so far ({url}/dashboard)")
    except httpx.HTTPError:
        console.print(f"appraisal not reachable at {url}")


@app.command()
def live(
    rate: float = typer.Option(3, "--rate", "-r", min=0.1, help="Events a second."),
    mode: str = typer.Option("kafka", "--mode", "-m", help="single, batch or kafka."),
    employees: int = EMPLOYEES, seed: int = SEED, province: str = PROVINCE,
    lag: int = typer.Option(40, help="Validations come this many reports later."),
    intake_url: str = INTAKE, policy_file: Path | None = POLICY,
    kafka_bootstrap: str = BOOTSTRAP, ingress_topic: str = INGRESS, timezone: str = TIMEZONE,
    every: float = typer.Option(30, help="Seconds between status lines."),
) -> None:
    """A gentle continuous stream for today (the demo), until interrupted."""
    organisation = _org(employees, seed, province)
    indicators = _indicators(policy_file)

    async def go() -> None:
        tokens = Tokens()
        async with IntakeClient(intake_url, tokens, 8) as client:
            access = KafkaSettings().access(kafka_bootstrap)
            producer = IngressProducer(access, ingress_topic) if mode == "kafka" else None
            if producer is not None:
                await producer.__aenter__()
            driver = Driver(organisation, client, mode, rate, 8, 50, producer)  # type: ignore[arg-type]
            status = asyncio.create_task(_status(driver, every))
            try:
                while True:
                    today = _today(timezone)
                    console.print(f"live: {today}, {len(organisation.employees)} employees, "
                                  f"{rate} events/s, mode {mode}")

                    def stream(day: date = today) -> Iterator[Action]:
                        # every day, weekends too: e-Samsat is online all week and the demo
                        # should show traffic whenever someone looks
                        yield from plan_live_day(organisation, day, seed, lag)
                        if day.day >= 20:
                            yield from plan_reviews(organisation, f"{day:%Y-%m}", seed,
                                                    indicators)

                    await driver.run(stream())
                    _report(driver.stats, f"day {today} done")
                    await _next_day(today, timezone)
            finally:
                status.cancel()
                if producer is not None:
                    await producer.__aexit__()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go())


async def _next_day(today: date, timezone: str) -> None:
    """Sleep until the calendar day after ``today`` begins."""
    now = datetime.now(ZoneInfo(timezone))
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), now.tzinfo)
    await asyncio.sleep(max(1.0, (midnight - now).total_seconds() + 1))


async def _status(driver: Driver, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        s = driver.stats
        console.print(f"{datetime.now():%H:%M:%S} sent {s.sent}, accepted {dict(s.accepted)}, "
                      f"rejected {dict(s.rejected)}")


if __name__ == "__main__":
    app()
