"""Mixed load (the simulator's reports, decisions, revisions over HTTP, one request per
action) that remembers every acknowledgement: the event ids intake answered with."""

import asyncio
import itertools
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from services.simulator.adapters.intake_http import Answer, IntakeClient
from services.simulator.adapters.tokens import Tokens
from services.simulator.domain.org import Organisation, build_organisation
from services.simulator.domain.traffic import plan_days, working_days
from services.simulator.service_layer import setup
from services.simulator.service_layer.driver import Driver
from shared.auth import Role
from shared.policy import default_policy_path, load_policy


class RecordingClient(IntakeClient):
    """An intake client that notes each answer; a dead connection is an answer of 0."""

    def __init__(self, base_url: str, tokens: Tokens, concurrency: int) -> None:
        super().__init__(base_url, tokens, concurrency, timeout=15.0)
        self.acknowledged: list[str] = []
        self.statuses: Counter[int] = Counter()
        self.codes: Counter[str] = Counter()

    async def post(self, path: str, subject: str, role: Role, *, json: Any = None,
                   content: str | None = None, headers: dict[str, str] | None = None) -> Answer:
        try:
            answer = await super().post(path, subject, role, json=json, content=content,
                                        headers=headers)
        except httpx.HTTPError as exc:
            answer = Answer(0, type(exc).__name__, 0.0)
        self.statuses[answer.status] += 1
        if answer.code:
            self.codes[answer.code] += 1
        if answer.ok and isinstance(answer.body, dict) and "event_id" in answer.body:
            self.acknowledged.append(str(answer.body["event_id"]))
        return answer


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


async def prepare(client: IntakeClient, employees: int, seed: int) -> Organisation:
    """The organisation's roster, and a policy whose backdating reaches the planned days."""
    org = build_organisation(employees, seed)
    await setup.import_roster(client, org, date(2025, 1, 1))
    first = planned_days()[0]
    policy = setup.backdating_policy(load_policy(default_policy_path()), f"{first:%Y-%m}",
                                     first, today())
    if policy is not None:
        await setup.publish(client, policy)
    return org


def planned_days() -> list[date]:
    last = today() - timedelta(days=1)
    return working_days(last - timedelta(days=40), last)[-20:]


async def drive(org: Organisation, client: IntakeClient, seed: int, rate: float,
                stop: asyncio.Event) -> Driver:
    """Drive until ``stop`` is set (or the plan runs out); requests in flight finish."""
    driver = Driver(org, client, "single", rate, concurrency=16)
    actions = itertools.takewhile(lambda _: not stop.is_set(),
                                  plan_days(org, planned_days(), seed))
    await driver.run(actions)
    return driver
