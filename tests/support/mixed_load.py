"""Mixed load on a running system, with a ledger of everything that was acknowledged.

- reporters: staff report activities over HTTP (one of them three times as often, so one
  partition of the events topic is the busiest);
- their superior reads the pending queue from the query API and decides on activities;
- an e-service sends activities over the Kafka ingress (acks=all, idempotent producer).

An answer 2xx from intake, or an acknowledgement from Kafka, goes into the ledger; the
replication tests then require each such command in the store and in the projections.
"""

import asyncio
import contextlib
import itertools
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.kafka import producer as reliable_producer
from shared.kafka_access import KafkaAccess

STAFF = [f"199001012015031{i:03d}" for i in range(1, 13)]  # birth, appointment, sex, number
BOSS = "196804111993031009"
HOT = STAFF[0]
ESERVICE = "esamsat-cluster"
UNIT = "BAPENDA-CLUSTER"
Token = Callable[[str, str], str]
"""(subject, role) -> a bearer token."""


def bearer(token: Token, subject: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(subject, role)}"}


async def register_organisation(intake: str, token: Token) -> None:
    """The superior and the staff reporting to them."""
    admin = bearer(token, "admin", "admin")
    async with httpx.AsyncClient(base_url=intake, timeout=10) as client:
        for nip, structural in [(BOSS, True), *[(s, False) for s in STAFF]]:
            answer = await client.post("/v1/employees", headers=admin, json={
                "nip": nip, "name": "Pegawai", "unit": UNIT, "position": "Petugas",
                "structural": structural})
            assert answer.status_code == 201, answer.text
        for nip in STAFF:
            answer = await client.post("/v1/reporting-lines", headers=admin, json={
                "nip": nip, "superior_nip": BOSS, "effective_from": "2020-01-01"})
            assert answer.status_code == 201, answer.text


@dataclass
class Ledger:
    reported: dict[str, str] = field(default_factory=dict)
    """HTTP: activity id -> NIP, for every 201."""
    ingested: dict[str, str] = field(default_factory=dict)
    """Kafka ingress: activity id -> NIP, for every record Kafka acknowledged."""
    decided: dict[str, str] = field(default_factory=dict)
    """activity id -> decision, for every 201."""
    answers: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    """HTTP answers other than 2xx and transport errors, with when they happened."""
    slowest_s: float = 0.0
    """Slowest HTTP answer."""
    accepted_at: list[float] = field(default_factory=list)
    """When each HTTP report was accepted (monotonic clock)."""

    def accepted(self) -> set[str]:
        return {*self.reported, *self.ingested}

    def longest_pause_s(self) -> float:
        """The longest time in which intake accepted no HTTP report."""
        moments = sorted(self.accepted_at)
        return max((b - a for a, b in itertools.pairwise(moments)), default=0.0)

    def summary(self) -> str:
        return (f"{len(self.reported)} reported over HTTP, {len(self.ingested)} over the "
                f"ingress, {len(self.decided)} decisions; answers {dict(self.answers)}; "
                f"slowest HTTP answer {self.slowest_s:.2f} s, longest pause between "
                f"accepted reports {self.longest_pause_s():.2f} s")


@dataclass
class MixedLoad:
    intake: str
    appraisal: str
    bootstrap: str
    ingress_topic: str
    token: Token
    ledger: Ledger = field(default_factory=Ledger)
    report_interval_s: float = 0.25
    ingress_interval_s: float = 0.1
    started: float = field(default_factory=time.monotonic)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list["asyncio.Task[None]"] = field(default_factory=list)

    def start(self) -> None:
        workers: list[Coroutine[Any, Any, None]] = [
            self._reporter(nip) for nip in [HOT, HOT, *STAFF]]  # HOT three times
        workers += [self._decider(), self._ingress()]
        self._tasks = [asyncio.create_task(w) for w in workers]

    async def stop(self) -> Ledger:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        return self.ledger

    def _work_date(self) -> str:
        """Today or one of the six days before (intake's today, Asia/Jakarta), so the
        daily-minutes rule never refuses the load."""
        today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        return (today - timedelta(days=random.randrange(7))).isoformat()

    async def _http(self, what: str, request: Awaitable[httpx.Response]) -> httpx.Response | None:
        sent = time.monotonic()
        try:
            answer = await request
        except httpx.HTTPError as exc:
            self._failed(f"{what}: {type(exc).__name__}")
            return None
        self.ledger.slowest_s = max(self.ledger.slowest_s, time.monotonic() - sent)
        self.ledger.answers[f"{what} {answer.status_code}"] += 1
        if not answer.is_success:
            self._failed(f"{what}: {answer.status_code} {answer.text[:200]}")
            return None
        return answer

    def _failed(self, text: str) -> None:
        self.ledger.failures.append(f"{time.monotonic() - self.started:.1f}s {text}")

    def _activity(self, nip: str) -> dict[str, Any]:
        return {"activity_id": str(uuid.uuid4()), "nip": nip, "work_date": self._work_date(),
                "minutes": 1, "description": "Melayani pembayaran pajak kendaraan"}

    async def _reporter(self, nip: str) -> None:
        headers = bearer(self.token, nip, "employee")
        async with httpx.AsyncClient(base_url=self.intake, timeout=10) as client:
            while not self._stop.is_set():
                body = self._activity(nip)
                if await self._http("report", client.post("/v1/activities", headers=headers,
                                                           json=body)):
                    self.ledger.reported[body["activity_id"]] = nip
                    self.ledger.accepted_at.append(time.monotonic())
                await self._pause(self.report_interval_s)

    async def _decider(self) -> None:
        headers = bearer(self.token, BOSS, "superior")
        decisions = ("approved", "rejected")
        async with httpx.AsyncClient(timeout=10) as client:
            while not self._stop.is_set():
                queue = await self._http("read", client.get(
                    f"{self.appraisal}/v1/superiors/{BOSS}/pending", headers=headers,
                    params={"limit": 5}))
                for item in (queue.json() if queue else [])[:2]:
                    activity = item["activity_id"]
                    if activity in self.ledger.decided:
                        continue  # the queue lags behind the decisions
                    decision = decisions[len(self.ledger.decided) % 2]
                    if await self._http("decide", client.post(
                            f"{self.intake}/v1/activities/{activity}/decision",
                            headers=headers, json={"decision": decision})):
                        self.ledger.decided[activity] = decision
                await self._pause(0.3)

    async def _ingress(self) -> None:
        header = [("authorization", f"Bearer {self.token(ESERVICE, 'eservice')}".encode())]
        producer = reliable_producer(KafkaAccess(self.bootstrap))
        await producer.start()
        try:
            while not self._stop.is_set():
                body = self._activity(random.choice(STAFF))
                body["external_ref"] = f"TRX-{body['activity_id']}"
                try:
                    await asyncio.wait_for(producer.send_and_wait(
                        self.ingress_topic, json.dumps(body).encode(),
                        key=body["nip"].encode(), headers=header), 10)
                    self.ledger.ingested[body["activity_id"]] = body["nip"]
                    self.ledger.answers["ingress acknowledged"] += 1
                except Exception as exc:  # not acknowledged: the e-service knows to resend
                    self.ledger.answers[f"ingress {type(exc).__name__}"] += 1
                await self._pause(self.ingress_interval_s)
        finally:
            with contextlib.suppress(Exception):  # records still unsent are not acknowledged
                await asyncio.wait_for(producer.stop(), 30)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
