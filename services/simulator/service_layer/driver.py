"""Drives a stream of actions through intake at a chosen rate, and keeps the score.

Modes: ``single`` (one HTTP request per action), ``batch`` (activities in HTTP batches per
principal, up to ``batch_size``), ``kafka`` (e-service activities through the Kafka ingress;
the people's own app reports, validations and reviews still go over HTTP, as they must).
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from services.simulator.adapters.intake_http import Answer, IntakeClient
from services.simulator.adapters.kafka_ingress import IngressProducer
from services.simulator.domain.org import Organisation
from services.simulator.domain.traffic import Action, Decision, Report, Review, Revision
from shared.auth import Role
from shared.kafka_access import KafkaAccess

Mode = Literal["single", "batch", "kafka"]


@dataclass
class Stats:
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    sent: int = 0
    accepted: Counter[str] = field(default_factory=Counter)
    """Kind (reports, decisions, revisions, reviews) -> accepted."""
    rejected: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    channels: Counter[str] = field(default_factory=Counter)

    def latency(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def count(self, kind: str, ok: bool, code: str | None = None, n: int = 1) -> None:
        if ok:
            self.accepted[kind] += n
        else:
            self.rejected[kind] += n
            self.codes[code or "unknown"] += n

    @property
    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    def percentiles(self, kind: str) -> dict[str, float]:
        values = sorted(self.latencies.get(kind, []))
        if not values:
            return {}

        def pick(q: float) -> float:
            return values[min(len(values) - 1, int(q * len(values)))] * 1000

        return {"n": len(values), "p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99),
                "max": values[-1] * 1000}

    def summary(self) -> dict[str, Any]:
        return {"seconds": round(self.elapsed, 3), "sent": self.sent,
                "rate": round(self.sent / self.elapsed, 1) if self.elapsed else 0.0,
                "accepted": dict(self.accepted), "rejected": dict(self.rejected),
                "rejection_codes": dict(self.codes), "channels": dict(self.channels),
                "latency_ms": {k: {m: round(v, 2) for m, v in self.percentiles(k).items()}
                               for k in sorted(self.latencies)}}


class Pacer:
    """Lets ``rate`` events a second through (0 = as fast as possible)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.start = time.perf_counter()
        self.released = 0

    async def take(self, n: int = 1) -> None:
        self.released += n
        if self.rate <= 0:
            return
        delay = self.start + self.released / self.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


def person_role(org: Organisation, nip: str) -> Role:
    """The token role a person acts in: ``superior`` for whoever leads someone (validating
    and rating a direct subordinate take it, ``shared.authority``), else ``employee``."""
    return "superior" if org.get(nip).structural or org.subordinates(nip) else "employee"


class Driver:
    def __init__(self, org: Organisation, client: IntakeClient, mode: Mode, rate: float,
                 concurrency: int = 32, batch_size: int = 500,
                 producer: IngressProducer | None = None,
                 progress: Callable[[int], None] | None = None) -> None:
        if mode == "kafka" and producer is None:
            raise ValueError("kafka mode needs an ingress producer")
        self.org, self.client, self.mode = org, client, mode
        self.pacer = Pacer(rate)
        self.batch_size = max(1, min(batch_size, 1000))
        self.producer = producer
        self.progress = progress or (lambda n: None)
        self.stats = Stats()
        self.slots = asyncio.Semaphore(concurrency)
        self.tasks: set[asyncio.Task[None]] = set()
        self.queued = 0
        """Records queued to the ingress since the last drain."""
        self.buffers: dict[tuple[str, Role], list[Report]] = {}

    def _principal(self, report: Report) -> tuple[str, Role]:
        if report.channel == "esamsat":
            return self.org.eservice, "eservice"
        if report.channel == "eoffice":
            return self.org.eoffice, "eservice"
        return report.nip, person_role(self.org, report.nip)

    async def run(self, actions: Iterable[Action], limit: int | None = None) -> Stats:
        self.stats = Stats()
        self.pacer = Pacer(self.pacer.rate)
        for action in actions:
            if limit is not None and self.stats.sent >= limit:
                break
            if isinstance(action, Report):
                await self._report(action)
            else:
                await self._flush_all()
                await self._spawn(1, self._other(action))
            self.stats.sent += 1
        await self._flush_all()
        await self.drain()
        self.stats.finished = time.perf_counter()
        return self.stats

    async def drain(self) -> None:
        if self.tasks:
            await asyncio.gather(*self.tasks)
        if self.producer is not None and self.queued:
            self.queued = 0
            await self.producer.flush()
            for seconds in self.producer.latencies:
                self.stats.latency("kafka_produce", seconds)
            self.producer.latencies.clear()
            if failed := self.producer.failed:
                self.producer.failed = 0
                self.stats.count("reports", False, "kafka_produce_failed", failed)
                self.stats.accepted["reports_produced"] -= failed

    async def _spawn(self, events: int, work: Any) -> None:
        await self.pacer.take(events)
        await self.slots.acquire()
        task = asyncio.create_task(self._guarded(work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _guarded(self, work: Any) -> None:
        try:
            await work
        except Exception as exc:
            self.stats.count("errors", False, type(exc).__name__)
        finally:
            self.slots.release()

    async def _report(self, report: Report) -> None:
        self.stats.channels[report.channel] += 1
        subject, role = self._principal(report)
        if self.mode == "kafka" and role == "eservice":
            assert self.producer is not None
            await self.pacer.take(1)
            await self.producer.send(report.body(), self.client.tokens.token(subject, role))
            self.stats.accepted["reports_produced"] += 1
            self.progress(1)
            self.queued += 1
            if self.queued >= 10_000:
                await self.drain()
            return
        if self.mode != "batch":
            await self._spawn(1, self._single(report, subject, role))
            return
        buffer = self.buffers.setdefault((subject, role), [])
        buffer.append(report)
        if len(buffer) >= self.batch_size:
            await self._flush(subject, role)

    async def _flush_all(self) -> None:
        for subject, role in list(self.buffers):
            await self._flush(subject, role)

    async def _flush(self, subject: str, role: Role) -> None:
        reports = self.buffers.pop((subject, role), [])
        if reports:
            await self._spawn(len(reports), self._batch(reports, subject, role))

    async def _single(self, report: Report, subject: str, role: Role) -> None:
        answer = await self.client.report(report.body(), subject, role)
        self._answered("reports", "report", answer)

    async def _batch(self, reports: list[Report], subject: str, role: Role) -> None:
        answer = await self.client.report_batch([r.body() for r in reports], subject, role)
        self.stats.latency("batch", answer.seconds)
        if not answer.ok:
            self.stats.count("reports", False, answer.code, len(reports))
        else:
            for item in answer.body:
                self.stats.count("reports", item["status"] == "accepted", item.get("code"))
        self.progress(len(reports))

    async def _other(self, action: Action) -> None:
        if isinstance(action, Decision):
            answer = await self.client.decide(action.activity_id, action.superior_nip,
                                              action.decision, action.note)
            self._answered("decisions", "decision", answer)
        elif isinstance(action, Revision):
            answer = await self.client.revise(action.activity_id, action.body(),
                                              action.owner_nip,
                                              person_role(self.org, action.owner_nip))
            self._answered("revisions", "revision", answer)
            if answer.ok:
                await self._other(action.approval)
        elif isinstance(action, Review):
            body = {"period": action.period, "ratee_nip": action.ratee_nip,
                    "scores": action.scores}
            answer = await self.client.review(body, action.rater_nip,
                                              person_role(self.org, action.rater_nip))
            self._answered("reviews", "review", answer)

    def _answered(self, kind: str, latency_kind: str, answer: Answer) -> None:
        self.stats.latency(latency_kind, answer.seconds)
        self.stats.count(kind, answer.ok, answer.code)
        self.progress(1)


async def settle_ingress(stats: Stats, produced: dict[int, set[int]], access: KafkaAccess,
                         ingress_topic: str, rejected_topic: str, group: str,
                         since: dict[int, int], wait_s: float = 120.0) -> bool:
    """Turn records produced to the ingress into accepted/rejected counts: wait until intake's
    ingress group committed past them, then read our refusals from the rejection topic.
    Returns False when intake had not ingested everything within ``wait_s``."""
    from services.simulator.adapters.kafka_ingress import refusals, wait_consumed

    ingested = await wait_consumed(access, group, ingress_topic, produced, wait_s)
    codes = await refusals(access, rejected_topic, ingress_topic, since, produced)
    sent = stats.accepted.pop("reports_produced", 0)
    refused = sum(codes.values())
    stats.accepted["reports"] += sent - refused
    if refused:
        stats.rejected["reports"] += refused
        stats.codes.update(codes)
    return ingested
