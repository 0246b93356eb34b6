"""Roster import and the simulator's policy version: what a run needs in place first."""

from datetime import date
from typing import Any

from services.simulator.adapters.intake_http import IntakeClient
from services.simulator.domain.org import Organisation, roster_chunks
from shared.policy import Policy


async def import_roster(client: IntakeClient, org: Organisation, effective_from: date,
                        max_rows: int = 50_000) -> list[dict[str, Any]]:
    """POST the roster in chunks (superiors first); raise with the bad rows on a refusal."""
    results = []
    for number, chunk in enumerate(roster_chunks(org, effective_from, max_rows), start=1):
        answer = await client.import_roster(chunk)
        if not answer.ok:
            raise RuntimeError(f"roster chunk {number} refused ({answer.status}): {answer.body}")
        results.append(answer.body)
    return results


def backdating_policy(base: Policy, period: str, first_day: date, today: date) -> Policy | None:
    """A policy version like ``base`` whose backdating window reaches ``first_day`` and that
    governs from ``period`` on; None when ``base`` already reaches it."""
    needed = (today - first_day).days
    if needed <= base.backdating_days and base.effective_from <= period:
        return None
    window = max(62, -(-needed // 31) * 31)  # stable for a while: whole "months" of days
    return base.model_copy(update={"version": f"sim-{period}-backdate{window}d",
                                   "effective_from": period, "backdating_days": window})


async def publish(client: IntakeClient, policy: Policy) -> dict[str, Any]:
    answer = await client.publish_policy(policy.model_dump(mode="json"))
    if not answer.ok:
        raise RuntimeError(f"policy {policy.version} refused ({answer.status}): {answer.body}")
    return answer.body  # type: ignore[no-any-return]
