"""Replay: a fresh event store filled with N synthetic events (the real ``append``, in large
transactions), then ``erk-appraisal audit replay --from store`` as a child process into a
fresh PostgreSQL database and into a SQLite file: events/s and the process's peak memory."""

import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

from services.intake.adapters.event_store import append, lock_for_append, stream_all
from services.intake.adapters.migrations import MIGRATIONS as INTAKE_MIGRATIONS
from shared.db import make_engine
from shared.envelope import EventEnvelope
from tests.perf import infra
from tests.perf.profiles import summarise
from tests.perf.projection import checksums, produce, run_ours
from tests.support.history import stream_organisation

Say = Callable[[str], None]


async def fill_store(url: str, events: int, seed: int, say: Say, chunk: int = 20_000) -> (
    dict[str, Any]
):
    engine = make_engine(url)
    stream = stream_organisation(events, seed, sealed=True)
    stored = 0
    started = time.monotonic()
    try:
        while batch := list(islice(stream, chunk)):
            async with engine.begin() as conn:
                await lock_for_append(conn)
                await append(conn, batch)
            stored += len(batch)
            if stored % 200_000 < chunk:
                say(f"    stored {stored:,} ({stored / (time.monotonic() - started):,.0f}/s)")
    finally:
        await engine.dispose()
    return {"events": stored, "seconds": round(time.monotonic() - started, 1)}


def run_replay(store_url: str, into: str, log: Path, profile: Path | None = None) -> (
    dict[str, Any]
):
    """The real command as a child process; wall time and peak RSS (wait4's ru_maxrss)."""
    command = [sys.executable, "-m", "services.appraisal.entrypoints.cli", "audit", "replay",
               "--from", "store", "--store-url", store_url, "--into", into,
               "--partitions", str(infra.PARTITIONS)]
    with log.open("ab") as out:
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=infra.ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "COLUMNS": "120"})
        spy = None
        if profile is not None:
            profile.parent.mkdir(parents=True, exist_ok=True)
            spy = subprocess.Popen(["py-spy", "record", "--pid", str(proc.pid), "--rate", "50",
                                    "--format", "raw", "-o", str(profile.with_suffix(".txt")),
                                    "--nonblocking"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        peak_kb = 0
        while proc.poll() is None:  # VmHWM: the child's own peak RSS since its exec
            peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
            time.sleep(0.1)
        seconds = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        if spy is not None:
            spy.wait(60)
    if proc.returncode != 0:
        raise RuntimeError(f"replay into {into} failed: {log.read_text()[-3000:]}")
    # ru_maxrss is not used: Linux carries the forking parent's high-water mark across exec
    # into it, so it reports max(bench process, replay) - VmHWM is the replay's own
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_kb / 1024, 1),
            "children_ru_maxrss_mb": round(usage.ru_maxrss / 1024, 1),
            **({"profile_top": summarise(profile.with_suffix(".txt"))} if profile else {})}


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


async def _store_envelopes(url: str) -> list[EventEnvelope]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return [envelope async for envelope, _, _ in stream_all(conn)]
    finally:
        await engine.dispose()


async def live_checksums(stack: infra.Stack, store_url: str, logs: Path) -> dict[str, Any]:
    """The store's events published as the relay would and applied by the real consumer."""
    topic = await stack.topic("replay-live")
    envelopes = await _store_envelopes(store_url)
    await produce(iter(envelopes), topic, say=lambda _: None)
    ours = await run_ours(stack, topic, logs)
    return await checksums(ours["url"])


async def bench(stack: infra.Stack, sizes: list[int], logs: Path, say: Say, seed: int = 11,
                verify_live_upto: int = 50_000, profile_dir: Path | None = None) -> (
    dict[str, Any]
):
    results: dict[str, Any] = {}
    for events in sizes:
        say(f"  filling a fresh event store with {events:,} events")
        store_url = await stack.database("store", INTAKE_MIGRATIONS)
        filled = await fill_store(store_url, events, seed, say)
        runs: dict[str, Any] = {"fill": filled}
        pg_url = await stack.database("replay")
        sqlite = Path(tempfile.gettempdir()) / f"erk-bench-replay-{stack.run_id}-{events}.db"
        stack.files.append(sqlite)
        for name, into in (("postgresql", pg_url), ("sqlite", f"sqlite+aiosqlite:///{sqlite}")):
            say(f"  replay {events:,} into {name}")
            profile = (profile_dir / f"replay-{name}-{events}"
                       if profile_dir is not None else None)
            run = await asyncio.to_thread(run_replay, store_url, into, logs / "replay.log",
                                          profile)
            run["events_per_s"] = round(filled["events"] / run["seconds"], 1)
            say(f"    {run['events_per_s']:,} events/s, peak {run['peak_rss_mb']} MB")
            runs[name] = run
        pg_sums = await checksums(pg_url)
        runs["postgresql_equals_sqlite"] = pg_sums == await checksums(
            f"sqlite+aiosqlite:///{sqlite}")
        if events <= verify_live_upto:
            runs["replay_equals_live"] = pg_sums == await live_checksums(stack, store_url, logs)
        results[str(events)] = runs
        await stack.drop()  # free the disk before the next size
    return results


