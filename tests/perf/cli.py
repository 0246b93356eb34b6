"""``python -m tests.perf run``: every benchmark on fresh databases and topics
of the local stack, a table of figures beside the targets, and a JSON file."""

import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from tests.perf import infra, intake, loadgen, projection, replay

app = typer.Typer(help="e-RK benchmark suite (local stack).", no_args_is_help=True)
console = Console()
ALL = ("loadgen", "projection", "intake", "freshness", "replay")
JSON_OUT = typer.Option(None, "--json", help="Write the results here.")
LOGS = typer.Option(None, "--logs", help="Service logs (default: a temp dir).")
PROFILE = typer.Option(None, "--profile", help="Profile the services with py-spy into this "
                       "directory (raw stacks + text summaries).")


def say(message: str) -> None:
    console.print(message, highlight=False)


def sizes(events: int, smoke: bool) -> dict[str, Any]:
    if smoke:
        return {"events": min(events, 3_000), "prefix": 1_000, "seconds": 3.0,
                "latency_rate": 100.0, "latency_seconds": 3.0, "employees": 40,
                "fresh_rate": 400.0, "fresh_seconds": 5.0, "fresh_batch": 20,
                "replay": [min(events, 3_000)], "single_concurrency": 16,
                "loadgen_events": 500, "loadgen_mixed": 1_000}
    return {"events": events, "prefix": 20_000, "seconds": 30.0, "latency_rate": 1_000.0,
            "latency_seconds": 30.0, "employees": 2_000, "fresh_rate": 5_000.0,
            "fresh_seconds": 60.0, "fresh_batch": 100,
            "replay": sorted({events // 4, events}), "single_concurrency": 64,
            "loadgen_events": 200_000, "loadgen_mixed": 50_000}


async def run_all(only: list[str], cfg: dict[str, Any], logs: Path, profile_dir: Path | None,
                  smoke: bool) -> dict[str, Any]:
    results: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(), "smoke": smoke,
                               "config": cfg, "machine": await infra.machine()}
    say(f"[bold]machine[/]: {results['machine']['cpu']}, {results['machine']['cores']} cores, "
        f"load {results['machine']['load_average']}")
    for name in only:
        say(f"\n[bold blue]{name}[/]")
        started = time.monotonic()
        try:
            results[name] = await run_one(name, cfg, logs, profile_dir,
                                          results.setdefault("kept", {}))
        except Exception as exc:  # record it and go on with the next benchmark
            console.print_exception()
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        results[name]["wall_s"] = round(time.monotonic() - started, 1)
    results["machine"]["load_average_after"] = os.getloadavg()
    results["finished_at"] = datetime.now(UTC).isoformat()
    results["targets"] = targets({k: v for k, v in results.items()
                                  if k in ALL and not (isinstance(v, dict) and "error" in v)})
    return results


async def run_one(name: str, cfg: dict[str, Any], logs: Path, profile_dir: Path | None,
                  kept: dict[str, Any]) -> dict[str, Any]:
    """One benchmark on a fresh stack; what it kept (``ERK_BENCH_KEEP_DATABASES``) goes
    into ``kept[name]``."""
    stack = infra.Stack()
    try:
        return await _bench(stack, name, cfg, logs, profile_dir)
    finally:
        await stack.drop()
        if stack.keep:
            kept[name] = {"databases": stack.kept, "files": stack.kept_files}


async def _bench(stack: infra.Stack, name: str, cfg: dict[str, Any], logs: Path,
                 profile_dir: Path | None) -> dict[str, Any]:
    if name == "loadgen":
        return await loadgen.bench(stack, logs, say, cfg["loadgen_events"], cfg["loadgen_mixed"],
                                   cfg["employees"])
    if name == "projection":
        return await projection.bench(stack, cfg["events"], cfg["prefix"], logs, say,
                                      profile_dir)
    if name == "intake":
        return await intake.bench_intake(
            stack, logs, say, cfg["seconds"], cfg["latency_rate"], cfg["latency_seconds"],
            cfg["employees"], single_concurrency=cfg["single_concurrency"],
            profile_dir=profile_dir)
    if name == "freshness":
        return await intake.bench_freshness(stack, logs, say, cfg["fresh_rate"],
                                            cfg["fresh_seconds"], cfg["employees"],
                                            batch=cfg["fresh_batch"])
    return await replay.bench(stack, cfg["replay"], logs, say, profile_dir=profile_dir)


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """(figure, value, target, met) rows for what ran."""
    rows: list[dict[str, Any]] = []

    def row(name: str, value: Any, target: str, met: bool | None, unit: str = "") -> None:
        rows.append({"figure": name, "value": value, "unit": unit, "target": target,
                     "met": met})

    if "loadgen" in r:
        for key, name in (("http_batches", "HTTP batches of 1000"),
                          ("kafka_ingress", "Kafka ingress")):
            offered = r["loadgen"][key]["events_per_s"]
            row(f"load generator: {name}, one process", offered, ">= 20,000",
                offered >= 20_000, "ev/s")
        row("load generator: a month's mixed traffic", r["loadgen"]["mixed_month"]["events_per_s"],
            "-", None, "actions/s")
    if "projection" in r:
        p = r["projection"]
        ours = p["ours"]["events_per_s"]
        row("projection: ours", ours, ">= 40,000", ours is not None and ours >= 40_000, "ev/s")
        row("projection: straightforward FastStream (prefix)",
            p["straightforward"]["events_per_s"], "-", None, "ev/s")
        row("projection: raw aiokafka consume+decode", p["raw_aiokafka"]["events_per_s"], "-",
            None, "ev/s")
        row("projection: PostgreSQL COPY", p["copy"]["events_per_s"], "-", None, "rows/s")
        ratio = p["ratios"]["straightforward"]
        row("projection: ours / straightforward", ratio, ">= 20x",
            ratio is not None and ratio >= 20, "x")
        row("projection: ours / raw aiokafka", p["ratios"]["raw_aiokafka"], "-", None, "x")
        row("projection: ours / COPY", p["ratios"]["copy"], "-", None, "x")
    if "intake" in r:
        i = r["intake"]
        b, s = i["batches"]["events_per_s"], i["singles"]["events_per_s"]
        p50, p99 = i["latency"]["latency_ms"]["p50"], i["latency"]["latency_ms"]["p99"]
        row("intake: batches of 1000", b, ">= 20,000", b >= 20_000, "ev/s")
        row("intake: single requests", s, ">= 2,500", s >= 2_500, "ev/s")
        row(f"intake: p50 at {i['latency']['offered_per_s']:.0f} req/s offered", p50, "-", None,
            "ms")
        row(f"intake: p99 at {i['latency']['offered_per_s']:.0f} req/s offered", p99, "<= 50",
            p99 is not None and p99 <= 50, "ms")
    if "freshness" in r:
        f = r["freshness"]
        p99 = f["freshness_ms"]["p99"]
        row(f"freshness: p50 at {f['offered_events_per_s']:.0f} ev/s", f["freshness_ms"]["p50"],
            "-", None, "ms")
        row(f"freshness: p99 at {f['offered_events_per_s']:.0f} ev/s", p99, "<= 250",
            p99 is not None and p99 <= 250 and not f["not_visible_within_30s"], "ms")
    if "replay" in r:
        peaks: dict[str, list[float]] = {}
        rates: dict[str, list[float]] = {}
        for size, runs in r["replay"].items():
            if not isinstance(runs, dict):
                continue
            for target in ("postgresql", "sqlite"):
                run = runs[target]
                row(f"replay {int(size):,} -> {target}", run["events_per_s"], ">= 40,000",
                    run["events_per_s"] >= 40_000, "ev/s")
                row(f"replay {int(size):,} -> {target}: peak memory", run["peak_rss_mb"],
                    "<= 400", run["peak_rss_mb"] <= 400, "MB")
                peaks.setdefault(target, []).append(run["peak_rss_mb"])
                rates.setdefault(target, []).append(run["events_per_s"])
        for target, values in peaks.items():
            if len(values) > 1:  # sizes in ascending order (``sizes``)
                kept = round(rates[target][-1] / rates[target][0], 2)
                row(f"replay -> {target}: rate largest/smallest size", kept, ">= 0.9",
                    kept >= 0.9, "x")
                growth = round(max(values) / min(values), 2)
                row(f"replay -> {target}: peak memory largest/smallest size", growth,
                    "flat (<= 1.2)", growth <= 1.2, "x")
    return rows


def show(results: dict[str, Any]) -> None:
    table = Table(title="e-RK benchmarks" + (" (smoke: sizes too small for figures)"
                                             if results["smoke"] else ""))
    for column in ("figure", "value", "target", "met"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in results["targets"]:
        value = row["value"]
        text = (f"{value:,.1f} {row['unit']}" if isinstance(value, float | int) else str(value))
        met = {True: "[green]met[/]", False: "[red]missed[/]", None: ""}[row["met"]]
        table.add_row(row["figure"], text, row["target"], met)
    console.print(table)


@app.command()
def run(
    events: int = typer.Option(1_000_000, "--events", min=100,
                               help="Events for the projection and (largest) replay runs."),
    smoke: bool = typer.Option(False, "--smoke", help="Tiny sizes: checks the harness only."),
    only: str = typer.Option(",".join(ALL), "--only", help="Comma-separated subset of "
                             + ", ".join(ALL) + "."),
    json_out: Path | None = JSON_OUT,
    logs: Path | None = LOGS,
    profile: Path | None = PROFILE,
) -> None:
    """Run the benchmarks, print the table, write JSON."""
    chosen = [name.strip() for name in only.split(",") if name.strip()]
    unknown = set(chosen) - set(ALL)
    if unknown:
        raise typer.BadParameter(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    log_dir = logs or Path(tempfile.mkdtemp(prefix="erk-bench-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    say(f"service logs in {log_dir}")
    results = asyncio.run(run_all([n for n in ALL if n in chosen], sizes(events, smoke),
                                  log_dir, profile, smoke))
    results["command"] = "python -m tests.perf run " + " ".join(
        part for part in (f"--events {events}", "--smoke" if smoke else "",
                          f"--only {only}" if set(chosen) != set(ALL) else "") if part)
    show(results)
    if json_out is not None:
        json_out.write_text(json.dumps(results, indent=2, default=str))
        say(f"results written to {json_out}")


@app.callback()
def main() -> None:
    """e-RK benchmark suite (local stack)."""
