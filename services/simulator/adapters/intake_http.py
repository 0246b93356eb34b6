"""Intake's public HTTP API as the simulator uses it: keep-alive connections, timings."""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

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
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.http = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout,
                                      transport=transport)
        self.tokens = tokens

    async def __aenter__(self) -> "IntakeClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.http.aclose()

    async def post(self, path: str, subject: str, role: Role, *, json: Any = None,
                   content: str | None = None, headers: dict[str, str] | None = None) -> Answer:
        all_headers = {**self.tokens.header(subject, role), **(headers or {})}
        started = time.perf_counter()
        response = await self.http.post(path, json=json, content=content, headers=all_headers)
        seconds = time.perf_counter() - started
        try:
            body = response.json()
        except ValueError:
            body = response.text
        code = None
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            code = error.get("code") if isinstance(error, dict) else f"http_{response.status_code}"
        return Answer(response.status_code, code, seconds, body)

    async def health(self) -> bool:
        try:
            return (await self.http.get("/health", timeout=3)).status_code == 200
        except httpx.HTTPError:
            return False

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
