"""The 2022 agency's month through intake's public API: its agency policy, its roster, the
SKPs, realisation and its validation, 360 (BerAKHLAK) reviews and the confirmed ratings."""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Iterable
from datetime import date

from services.simulator.adapters.intake_http import Answer, IntakeClient
from services.simulator.domain.org import Organisation
from services.simulator.domain.regime2022 import agency_code, plan_skps
from services.simulator.domain.traffic import plan_reviews
from services.simulator.service_layer import setup
from services.simulator.service_layer.driver import person_role
from shared.policy import Policy

REPEATED = frozenset({"duplicate_realisation", "not_pending"})
"""Refusals of a step already done by an earlier run of the same month: harmless."""


def agency_policy(base: Policy, org: Organisation, period: str) -> Policy:
    """``base`` (a 2022 policy) governing only ``org``'s agency from ``period`` on."""
    if base.regime != "2022":
        raise ValueError(f"policy {base.version} is regime {base.regime}, not 2022")
    agency = agency_code(org)
    return base.model_copy(update={"version": f"demo-{agency.lower()}-{period}",
                                   "effective_from": period, "agencies": [agency]})


async def _stage(name: str, calls: Iterable[Awaitable[Answer]], counts: Counter[str]) -> None:
    for answer in await asyncio.gather(*calls):
        if answer.ok or answer.code in REPEATED:
            counts[name] += 1
        else:
            raise RuntimeError(f"{name} refused ({answer.status}): {answer.body}")


async def run_month(client: IntakeClient, org: Organisation, base: Policy, period: str,
                    seed: int, effective_from: date) -> Counter[str]:
    """Publish the agency policy, import the roster, then the month in the order the rules
    need: SKPs, realisation, validation, reviews, ratings. Accepted requests per step."""
    policy = agency_policy(base, org, period)
    await setup.publish(client, policy)
    await setup.import_roster(client, org, effective_from)
    plans = plan_skps(org, period, seed)
    counts: Counter[str] = Counter()
    await _stage("skps", (client.post("/v1/skp", p.superior_nip, "superior",
                                      json=p.skp_body()) for p in plans), counts)
    await _stage("realisations", (
        client.post("/v1/skp/realisations", p.nip, person_role(org, p.nip),
                    json=p.realisation_body()) for p in plans), counts)
    await _stage("validations", (
        client.post("/v1/skp/realisation-decisions", p.superior_nip, "superior",
                    json=p.decision_body()) for p in plans), counts)
    indicators = [(i.name, i.structural_only) for i in policy.indicators]
    await _stage("reviews", (
        client.review({"period": r.period, "ratee_nip": r.ratee_nip, "scores": r.scores},
                      r.rater_nip, person_role(org, r.rater_nip))
        for r in plan_reviews(org, period, seed, indicators)), counts)
    await _stage("ratings", (client.post("/v1/skp/ratings", p.superior_nip, "superior",
                                         json=p.rating_body()) for p in plans), counts)
    return counts
