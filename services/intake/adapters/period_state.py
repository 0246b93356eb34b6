"""What the write model knows about periods: the published policies and the recorded closes."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters import tables as t
from shared.policy import Policy

_POLICIES: dict[str, Policy] = {}
"""Parsed policies by version: a published version never changes, so parse it once."""


def known_policy(version: str) -> Policy | None:
    return _POLICIES.get(version)


def parsed_policy(version: str, document: dict[str, Any]) -> Policy:
    if version not in _POLICIES:
        _POLICIES[version] = Policy.model_validate(document)
    return _POLICIES[version]


async def policies_in_order(conn: AsyncConnection) -> list[Policy]:
    """Every published policy, in publication order."""
    p = t.policies
    rows = await conn.execute(select(p.c.version, p.c.document).order_by(p.c.stream_version))
    return [parsed_policy(row.version, row.document) for row in rows]


async def recorded_closes(conn: AsyncConnection) -> set[str]:
    """Periods whose PeriodClosed event is recorded."""
    return set((await conn.execute(select(t.periods.c.period))).scalars())
