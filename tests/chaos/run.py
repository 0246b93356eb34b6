"""One chaos run: start the system, drive load while the schedule's faults strike, stop the
load, check the invariants; returns the report (timeline, load figures, checks)."""

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

from services.simulator.adapters.tokens import Tokens
from tests.chaos import checks
from tests.chaos.load import RecordingClient, drive, prepare
from tests.chaos.schedule import CLUSTER_KINDS, KINDS, plan
from tests.chaos.system import System


async def chaos(seed: int, minutes: float, logs: Path, employees: int = 60,
                rate: float = 25.0, cluster: str = "",
                kinds: tuple[str, ...] | None = None) -> dict[str, Any]:
    """``cluster``: the 3-node cluster's bootstrap list, which adds its fault kinds;
    ``kinds``: only these."""
    system = System(logs, cluster)
    faults = plan(seed, minutes, kinds or (KINDS + CLUSTER_KINDS if cluster else KINDS))
    try:
        await system.start()
        async with RecordingClient(system.intake.base, Tokens(), 16) as client:
            org = await prepare(client, employees, seed)
            client.statuses, client.codes = Counter(), Counter()  # count the load alone
            stop = asyncio.Event()
            load = asyncio.create_task(drive(org, client, seed, rate, stop))
            started = time.monotonic()
            for fault in faults:
                await _until(started + fault.at_s)
                await system.inflict(fault, started, client.statuses)
            await _until(started + minutes * 60)
            stop.set()
            driver = await load
        found = [await checks.settled(system), await checks.stored_once(system,
                                                                       client.acknowledged),
                 await checks.published(system), await checks.verified(system),
                 await checks.no_dead_letters(system), checks.no_server_errors(client.statuses)]
        return {"seed": seed, "minutes": minutes, "employees": employees, "rate": rate,
                "cluster": cluster, "ok": all(c.ok for c in found),
                "timeline": system.timeline, "broker_kills": broker_kills(system.timeline),
                "load": {"answers_by_status": dict(client.statuses),
                         "refusal_codes": dict(client.codes),
                         "acknowledged": len(set(client.acknowledged)),
                         "driver": driver.stats.summary()["accepted"]},
                "checks": [{"check": c.name, "ok": c.ok, **c.detail} for c in found]}
    finally:
        await system.stop()


def broker_kills(timeline: list[dict[str, Any]]) -> dict[str, Any]:
    """The broker-kill windows: how many, how long the nodes were down, what the load got."""
    kills = [entry for entry in timeline if entry["fault"] == "kill_broker"]
    answers: Counter[str] = Counter()
    for entry in kills:
        answers.update(entry["answers_during"])
    return {"windows": len(kills),
            "down_s": round(sum(e["hold_s"] + e["listening_after_s"] for e in kills), 1),
            "answers_during": dict(answers),
            "in_sync_after_s": [e["in_sync_after_s"] for e in kills]}


async def _until(deadline: float) -> None:
    """The schedule's clock: faults strike at planned times (time is the point here)."""
    await asyncio.sleep(max(0.0, deadline - time.monotonic()))
