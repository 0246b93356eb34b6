"""Intake's public HTTP API as the simulator uses it: keep-alive connections (our own pool
for plain http, ``adapters.keepalive``; httpx for anything else, e.g. an ASGI app in
tests), timings."""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from services.simulator.adapters.keepalive import KeepAlivePool
from services.simulator.adapters.tokens import Tokens
from shared.auth import Role


@dataclass(frozen=True)
class Answer:
    status: int
    code: str | None
    """Error code of a refusal (None when accepted)."""
    seconds: float
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class IntakeClient:
    def __init__(self, base_url: str, tokens: Tokens, concurrency: int = 32,
                 timeout: float = 30.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.tokens = tokens
        self.pool: KeepAlivePool | None = None
        self.http: httpx.AsyncClient | None = None
        if transport is None and base_url.startswith("http://"):
            self.pool = KeepAlivePool.for_url(base_url, concurrency, timeout)
        else:
            limits = httpx.Limits(max_connections=concurrency,
                                  max_keepalive_connections=concurrency)
            self.http = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout,
                                          transport=transport)

    async def __aenter__(self) -> "IntakeClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.pool is not None:
            await self.pool.aclose()
        if self.http is not None:
            await self.http.aclose()

    async def _exchange(self, method: str, path: str, headers: dict[str, str],
                        body: bytes = b"") -> tuple[int, bytes]:
        if self.pool is not None:
            status, _, content = await self.pool.request(method, path, headers, body)
            return status, content
        assert self.http is not None
        response = await self.http.request(method, path, content=body, headers=headers)
        return response.status_code, response.content

    async def post(self, path: str, subject: str, role: Role, *, json: Any = None,
                   content: str | None = None, headers: dict[str, str] | None = None) -> Answer:
        all_headers = {**self.tokens.header(subject, role), **(headers or {})}
        if json is not None:
            all_headers.setdefault("Content-Type", "application/json")
        payload = orjson.dumps(json) if json is not None else (content or "").encode()
        started = time.perf_counter()
        status, data = await self._exchange("POST", path, all_headers, payload)
        seconds = time.perf_counter() - started
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError:
            body = data.decode(errors="replace")
        code = None
        if status >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            code = error.get("code") if isinstance(error, dict) else f"http_{status}"
        return Answer(status, code, seconds, body)

    async def health(self) -> bool:
        try:
            status, _ = await asyncio.wait_for(self._exchange("GET", "/health", {}), 3)
        except (httpx.HTTPError, OSError, TimeoutError, asyncio.IncompleteReadError):
            return False
        return status == 200

    async def import_roster(self, csv_text: str) -> Answer:
        return await self.post("/v1/employees/import", "simulator", "admin", content=csv_text,
                               headers={"Content-Type": "text/csv"})

    async def publish_policy(self, document: dict[str, Any]) -> Answer:
        return await self.post("/v1/policies", "simulator", "admin", json=document)

    async def report(self, body: dict[str, Any], subject: str, role: Role) -> Answer:
        return await self.post("/v1/activities", subject, role, json=body)

    async def report_batch(self, bodies: list[dict[str, Any]], subject: str, role: Role) -> (
        Answer
    ):
        return await self.post("/v1/activities/batch", subject, role, json=bodies)

    async def decide(self, activity_id: str, superior: str, decision: str, note: str | None,
                     retries: int = 20) -> Answer:
        """Validate; an activity still on its way (Kafka ingress) is retried a little later."""
        body = {"decision": decision, **({"note": note} if note else {})}
        for attempt in range(retries + 1):
            answer = await self.post(f"/v1/activities/{activity_id}/decision", superior,
                                     "superior", json=body)
            if answer.code != "unknown_activity" or attempt == retries:
                return answer
            await asyncio.sleep(min(2.0, 0.1 * 2 ** attempt))
        raise AssertionError("unreachable")

    async def revise(self, activity_id: str, body: dict[str, Any], owner: str, role: Role,
                     retries: int = 20) -> Answer:
        """Amend an activity sent back for revision; while the request for revision is
        still on its way (sent concurrently) the activity is pending: retried a little later."""
        for attempt in range(retries + 1):
            answer = await self.post(f"/v1/activities/{activity_id}/revision", owner, role,
                                     json=body)
            if answer.code != "not_revision_requested" or attempt == retries:
                return answer
            await asyncio.sleep(min(2.0, 0.1 * 2 ** attempt))
        raise AssertionError("unreachable")

    async def review(self, body: dict[str, Any], rater: str, role: Role) -> Answer:
        return await self.post("/v1/reviews", rater, role, json=body)
