"""Intake and freshness benchmarks: ``erk-intake serve --no-relay`` beside ``erk-intake
relay`` (and ``erk-appraisal serve``) as child processes on fresh databases and topics, a
synthetic organisation imported first (the simulator's), then e-Samsat activity reports over HTTP.

Accepted events count only once durable in the store *and* acknowledged by Kafka: every
phase ends when the relay checkpoint reaches the store head, and that wait is timed.
"""

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from services.appraisal.adapters.migrations import MIGRATIONS as APPRAISAL_MIGRATIONS
from services.intake.adapters.migrations import MIGRATIONS as INTAKE_MIGRATIONS
from services.simulator.adapters.intake_http import IntakeClient
from services.simulator.adapters.tokens import Tokens
from services.simulator.domain.org import Organisation, build_organisation
from services.simulator.service_layer import setup
from shared.policy import default_policy_path
from tests.perf import infra
from tests.perf.http import FastHttp
from tests.perf.profiles import summarise

Say = Callable[[str], None]
POLICY = default_policy_path()
DESCRIPTION = "Penerimaan pembayaran PKB dan SWDKLLJ"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


class Reports:
    """e-Samsat activity bodies for today, one minute each, round-robin over the staff, so no
    employee's day exceeds the policy's 720 minutes until staff x 720 reports."""

    def __init__(self, org: Organisation, today: date) -> None:
        self.nips = [e.nip for e in org.employees]
        self.today = today.isoformat()
        self.n = 0

    @property
    def capacity(self) -> int:
        return len(self.nips) * 720

    def next(self) -> dict[str, Any]:
        nip = self.nips[self.n % len(self.nips)]
        self.n += 1
        activity = uuid.uuid4()
        return {"activity_id": str(activity), "nip": nip, "work_date": self.today,
                "minutes": 1, "description": DESCRIPTION, "output": "Bukti bayar",
                "external_ref": f"ESMT-BENCH-{activity.hex[:16]}"}


class Intake:
    """An intake child process on a fresh store and events topic, the organisation in."""

    def __init__(self, stack: infra.Stack, logs: Path, employees: int) -> None:
        self.stack, self.logs, self.employees = stack, logs, employees
        self.port = infra.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.service: infra.Service | None = None
        self.relay: infra.Service | None = None
        self.tokens = Tokens()

    async def start(self, say: Say) -> None:
        self.url = await self.stack.database("intake", INTAKE_MIGRATIONS)
        self.dsn = self.url.replace("postgresql+asyncpg", "postgresql")
        self.topic = await self.stack.topic("events")
        ingress = await self.stack.topic("ingress", 1)
        rejected = await self.stack.topic("rejected", 1)
        env = {"INTAKE_DATABASE_URL": self.url, "INTAKE_HTTP_PORT": str(self.port),
               "ERK_KAFKA_EVENTS_TOPIC": self.topic, "ERK_KAFKA_INGRESS_TOPIC": ingress,
               "ERK_KAFKA_REJECTED_TOPIC": rejected, "INTAKE_POLICY_FILE": str(POLICY)}
        # the relay as its own process beside the API, as production runs it
        self.service = infra.Service("services.intake.entrypoints.cli",
                                     ["serve", "--no-ingress", "--no-relay"], env,
                                     self.logs / "intake.log").start()
        self.relay = infra.Service("services.intake.entrypoints.cli", ["relay"], env,
                                   self.logs / "intake-relay.log").start()
        await infra.wait_http(f"{self.base}/health", service=self.service)
        self.org = build_organisation(self.employees, seed=1)
        async with IntakeClient(self.base, self.tokens) as client:
            await setup.import_roster(client, self.org, date(2025, 1, 1))
        self.today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        self.reports = Reports(self.org, self.today)
        await self.relayed()
        say(f"  intake on :{self.port}, {len(self.org.employees)} employees imported")

    def stop(self) -> None:
        for service in (self.service, self.relay):
            if service is not None:
                service.stop()

    def headers(self) -> dict[str, str]:
        return self.tokens.header(self.org.eservice, "eservice")

    def client(self, connections: int) -> FastHttp:
        return FastHttp("127.0.0.1", self.port, self.headers(), connections)

    async def head(self) -> tuple[int, int]:
        """(store head, relay checkpoint)."""
        conn = await asyncpg.connect(self.dsn)
        try:
            head = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
            done = await conn.fetchval("SELECT coalesce(max(position), 0) FROM relay_checkpoint")
            return int(head), int(done)
        finally:
            await conn.close()

    async def relayed(self, limit_s: float = 600) -> float:
        """Wait until the relay checkpoint reaches the store head; returns when it did."""
        deadline = time.monotonic() + limit_s
        while True:
            head, done = await self.head()
            if done >= head:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"relay at {done}, store head {head}")
            assert self.service is not None and self.relay is not None
            self.service.check_alive()
            self.relay.check_alive()
            await asyncio.sleep(0.02)

    async def counts(self) -> dict[str, int]:
        """ActivityReported in the store; records the store holds for Kafka (broadcasts on
        every partition) and the Kafka end offsets."""
        conn = await asyncpg.connect(self.dsn)
        try:
            activities = await conn.fetchval("SELECT count(*) FROM events WHERE "
                                             "event_type = 'ActivityReported'")
            records = await conn.fetchval(
                "SELECT coalesce(sum(CASE WHEN subject_nip = '*' THEN $1::int ELSE 1 END), 0) "
                "FROM events", infra.PARTITIONS)
        finally:
            await conn.close()
        ends = await infra.end_offsets(self.topic)
        return {"store_activities": int(activities), "store_records": int(records),
                "kafka_records": sum(ends.values())}


async def closed_loop(intake: Intake, seconds: float, concurrency: int, batch: int) -> (
    dict[str, Any]
):
    """``concurrency`` clients posting back to back (singles or batches) for ``seconds``;
    then wait for the relay. Rate = accepted / (start .. relayed)."""
    accepted = rejected = requests = 0
    codes: dict[str, int] = {}
    latencies: list[float] = []
    cpu0 = time.process_time()
    async with intake.client(concurrency) as http:
        started = time.monotonic()
        stop_at = started + seconds

        async def worker() -> None:
            nonlocal accepted, rejected, requests
            while time.monotonic() < stop_at:
                if intake.reports.n + batch > intake.reports.capacity:
                    return
                t = time.monotonic()
                if batch == 1:
                    status, body = await http.post("/v1/activities", intake.reports.next())
                    ok = status == 201
                    accepted += ok
                    rejected += not ok
                    if not ok:
                        code = (body or {}).get("error", {}).get("code", "?")
                        codes[code] = codes.get(code, 0) + 1
                else:
                    status, body = await http.post(
                        "/v1/activities/batch", [intake.reports.next() for _ in range(batch)])
                    if status == 200:
                        for item in body:
                            ok = item["status"] == "accepted"
                            accepted += ok
                            rejected += not ok
                            if not ok:
                                codes[item.get("code", "?")] = codes.get(item.get("code", "?"),
                                                                         0) + 1
                    else:
                        rejected += batch
                        codes[f"http_{status}"] = codes.get(f"http_{status}", 0) + batch
                latencies.append(time.monotonic() - t)
                requests += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        sent_s = time.monotonic() - started
        relayed = await intake.relayed()
    seconds_total = relayed - started
    return {"concurrency": concurrency, "batch": batch, "requests": requests,
            "accepted": accepted, "rejected": rejected, "rejection_codes": codes,
            "seconds_sending": round(sent_s, 2), "seconds_to_relayed": round(seconds_total, 2),
            "events_per_s": round(accepted / seconds_total, 1),
            "latency_ms": {"p50": percentile(latencies, 0.5),
                           "p99": percentile(latencies, 0.99)},
            "client_cpu_s": round(time.process_time() - cpu0, 2)}


async def open_loop(intake: Intake, rate: float, seconds: float) -> dict[str, Any]:
    """Single requests started on a fixed schedule whatever the answers; latency measured
    from each request's scheduled start, so queueing counts."""
    latencies: list[float] = []
    failures: dict[str, int] = {}
    # at most 128 connections: beyond that requests wait in the client's pool (the wait
    # counts: latency runs from the scheduled start); 1000s of sockets only thrash both sides
    async with intake.client(128) as http:
        # warm the connection pool a little, outside the measurement
        await asyncio.gather(*(http.get("/health") for _ in range(32)))
        total = int(rate * seconds)
        tasks = []
        late = 0
        started = time.monotonic()

        async def one(due: float) -> None:
            try:
                status, _ = await http.post("/v1/activities", intake.reports.next())
                if status == 201:
                    latencies.append(time.monotonic() - due)
                else:
                    failures[str(status)] = failures.get(str(status), 0) + 1
            except (OSError, asyncio.IncompleteReadError) as exc:
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1

        for i in range(total):
            due = started + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.005:
                late += 1
            tasks.append(asyncio.create_task(one(due)))
        await asyncio.gather(*tasks)
        await intake.relayed()
    return {"offered_per_s": rate, "seconds": seconds, "requests": total,
            "ok": len(latencies), "failures": failures, "started_late_over_5ms": late,
            "latency_ms": {"p50": percentile(latencies, 0.5), "p90": percentile(latencies, 0.9),
                           "p99": percentile(latencies, 0.99),
                           "max": percentile(latencies, 1.0)}}


async def bench_intake(stack: infra.Stack, logs: Path, say: Say, seconds: float,
                       latency_rate: float, latency_seconds: float, employees: int,
                       single_concurrency: int = 64, batch_concurrency: int = 4,
                       profile_dir: Path | None = None) -> dict[str, Any]:
    intake = Intake(stack, logs, employees)
    await intake.start(say)
    result: dict[str, Any] = {"employees": len(intake.org.employees)}
    try:
        before = (await intake.counts())["store_activities"]
        say(f"  open loop: {latency_rate:.0f} single requests/s for {latency_seconds:.0f} s")
        result["latency"] = await open_loop(intake, latency_rate, latency_seconds)
        say(f"    p50 {result['latency']['latency_ms']['p50']} ms, "
            f"p99 {result['latency']['latency_ms']['p99']} ms")
        for name, batch, concurrency in (("singles", 1, single_concurrency),
                                         ("batches", 1000, batch_concurrency)):
            say(f"  closed loop: {name}, {concurrency} in flight, {seconds:.0f} s")
            assert intake.service is not None
            if profile_dir is not None:
                intake.service.profile(profile_dir / f"intake-{name}")
            result[name] = await closed_loop(intake, seconds, concurrency, batch)
            if profile_dir is not None:
                intake.service.stop_profile()
                result[name]["profile_top"] = summarise(profile_dir / f"intake-{name}.txt")
            say(f"    {result[name]['events_per_s']:,} accepted events/s")
        counts = await intake.counts()
        accepted = (result["latency"]["ok"] + result["singles"]["accepted"]
                    + result["batches"]["accepted"])
        result["check"] = {
            **counts, "accepted": accepted, "activities_before": before,
            "accepted_equals_store": counts["store_activities"] - before == accepted,
            "store_equals_kafka": counts["store_records"] == counts["kafka_records"]}
    finally:
        intake.stop()
    return result


async def bench_freshness(stack: infra.Stack, logs: Path, say: Say, rate: float,
                          seconds: float, employees: int, samples_per_s: float = 10,
                          batch: int = 100, poll_s: float = 0.005) -> dict[str, Any]:
    """Batches of ``batch`` reports started on a schedule (rate / batch requests a second);
    ``samples_per_s`` of them have their first activity polled in the appraisal API every
    ``poll_s`` from intake's success answer until it is visible."""
    intake = Intake(stack, logs, employees)
    await intake.start(say)
    appraisal_url = await stack.database("appraisal", APPRAISAL_MIGRATIONS)
    port = infra.free_port()
    dlq = await stack.topic("dlq", 1)
    appraisal = infra.Service("services.appraisal.entrypoints.cli", ["serve"], {
        "APPRAISAL_DATABASE_URL": appraisal_url, "ERK_KAFKA_EVENTS_TOPIC": intake.topic,
        "ERK_KAFKA_DLQ_TOPIC": dlq, "APPRAISAL_HTTP_PORT": str(port),
        "APPRAISAL_CONSUMER_GROUP": f"erk-bench-fresh-{stack.run_id}"},
        logs / "appraisal-freshness.log").start()
    base = f"http://127.0.0.1:{port}"
    freshness: list[float] = []
    timeline: list[dict[str, float]] = []
    slow: list[tuple[float, float]] = []
    missing = 0
    accepted = rejected = 0
    try:
        await infra.wait_http(f"{base}/health", service=appraisal)
        ends = await infra.end_offsets(intake.topic)
        dsn = appraisal_url.replace("postgresql+asyncpg", "postgresql")
        deadline = time.monotonic() + 120
        while True:  # let appraisal catch up with the roster first
            conn = await asyncpg.connect(dsn)
            try:
                rows = await conn.fetch("SELECT partition, next_offset FROM consumer_positions"
                                        " WHERE topic = $1", intake.topic)
            finally:
                await conn.close()
            if {r["partition"]: r["next_offset"] for r in rows} == {
                    p: o for p, o in ends.items() if o}:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("appraisal did not catch up with the roster")
            await asyncio.sleep(0.2)
        requests_per_s = rate / batch
        total = int(requests_per_s * seconds)
        sample_every = max(1, round(requests_per_s / samples_per_s))
        say(f"  {rate:.0f} events/s as {requests_per_s:.0f} batches of {batch} a second for "
            f"{seconds:.0f} s; sampling {samples_per_s:.0f} activities/s")
        reader = Tokens().header("bench", "dashboard")
        async with intake.client(200) as http, \
                FastHttp("127.0.0.1", port, reader, 200) as query:

            async def one(i: int) -> None:
                nonlocal accepted, rejected, missing
                bodies = [intake.reports.next() for _ in range(batch)]
                status, answer = await http.post("/v1/activities/batch", bodies)
                answered = time.monotonic()
                items = answer if status == 200 else []
                ok = [item["status"] == "accepted" for item in items]
                accepted += sum(ok)
                rejected += batch - sum(ok)
                if i % sample_every or not ok or not ok[0]:
                    return
                path = f"/v1/activities/{bodies[0]['activity_id']}"
                give_up = answered + 30
                while time.monotonic() < give_up:
                    if (await query.get(path))[0] == 200:
                        freshness.append(time.monotonic() - answered)
                        slow.append((round(answered - started, 1),
                                     round(time.monotonic() - answered, 3)))
                        return
                    await asyncio.sleep(poll_s)
                missing += 1

            started = time.monotonic()
            stop_watch = asyncio.Event()
            watcher = asyncio.create_task(watch_lag(intake.dsn, dsn, stop_watch, timeline))
            tasks = []
            for i in range(total):
                delay = started + i / requests_per_s - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(i)))
            await asyncio.gather(*tasks)
            elapsed = time.monotonic() - started
            stop_watch.set()
            await watcher
        appraisal.check_alive()
    finally:
        appraisal.stop()
        intake.stop()
    return {"mode": f"HTTP batches of {batch}, {requests_per_s:.0f} requests/s (open loop)",
            "offered_events_per_s": rate, "seconds": seconds,
            "accepted": accepted, "rejected": rejected,
            "achieved_events_per_s": round(accepted / elapsed, 1),
            "samples": len(freshness), "not_visible_within_30s": missing,
            "poll_ms": poll_s * 1000,
            "slowest_samples": sorted(slow, key=lambda s: -s[1])[:10],
            "lag_timeline": timeline,
            "freshness_ms": {"p50": percentile(freshness, 0.5),
                             "p90": percentile(freshness, 0.9),
                             "p99": percentile(freshness, 0.99),
                             "max": percentile(freshness, 1.0)}}


async def watch_lag(intake_dsn: str, appraisal_dsn: str, stop: asyncio.Event,
                    timeline: list[dict[str, float]]) -> None:
    """Every half second: events not yet relayed, and relayed but not yet applied."""
    store, projections = await asyncpg.connect(intake_dsn), await asyncpg.connect(appraisal_dsn)
    started = time.monotonic()
    try:
        while not stop.is_set():
            head = await store.fetchval("SELECT coalesce(max(position), 0) FROM events")
            relayed = await store.fetchval(
                "SELECT coalesce(max(position), 0) FROM relay_checkpoint")
            applied = await projections.fetchval(
                "SELECT coalesce(max(last_position), 0) FROM consumer_positions")
            timeline.append({"t": round(time.monotonic() - started, 1),
                             "not_relayed": head - relayed, "not_applied": relayed - applied})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
    finally:
        await store.close()
        await projections.close()
