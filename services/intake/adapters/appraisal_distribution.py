"""Appraisal's distribution read (``GET /v1/periods/{period}/distribution``) over HTTP, as
the close's :class:`~services.intake.service_layer.ports.DistributionSource`.

Intake calls as the service principal ``intake`` with the ``auditor`` role (read only), in a
token it signs itself with the shared ERK_JWT_SECRET for a minute: no other secret to hold.
"""

from datetime import timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.intake.domain.curve_check import DistributionReading
from services.intake.service_layer.ports import DistributionUnavailable
from shared.auth import Principal, issue_token
from shared.events import CheckedUnit, CurveOutcome, Period
from shared.settings import AuthSettings

SERVICE = Principal("intake", "auditor")
TOKEN_TTL = timedelta(minutes=1)
BREACH_FIELDS = ("predicates", "bound", "limit_pct", "count", "limit_people", "by")
UNIT_FIELDS = ("unit", "organisational_predicate", "checked", "policy_version", "outcome")


class _Answer(BaseModel):
    """The part of appraisal's answer the check records (extra fields are appraisal's);
    strict, as any input: "57" is no position."""

    model_config = ConfigDict(extra="ignore", strict=True)

    period: Period
    position: int = Field(ge=0)
    outcome: CurveOutcome
    units: list[dict[str, Any]]


class AppraisalDistribution:
    def __init__(self, base_url: str, auth: AuthSettings, timeout_s: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._base_url = base_url
        self._auth = auth
        self._timeout_s = timeout_s
        self._transport = transport

    async def read(self, period: str) -> DistributionReading:
        token = issue_token(self._auth, SERVICE, TOKEN_TTL)
        try:
            async with httpx.AsyncClient(base_url=self._base_url, timeout=self._timeout_s,
                                         transport=self._transport) as client:
                response = await client.get(f"/v1/periods/{period}/distribution",
                                            headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise DistributionUnavailable(f"appraisal unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise DistributionUnavailable(f"appraisal answered {response.status_code}")
        try:
            return reading_of(_Answer.model_validate_json(response.content), period)
        except (ValidationError, ValueError) as exc:
            raise DistributionUnavailable("appraisal's answer is not a distribution") from exc


def reading_of(answer: _Answer, period: str) -> DistributionReading:
    if answer.period != period:
        raise ValueError(f"asked for {period}, appraisal answered {answer.period}")
    units = tuple(CheckedUnit.model_validate({
        **{k: unit.get(k) for k in UNIT_FIELDS}, "staff": unit.get("staff", {}),
        "breaches": [{k: b.get(k) for k in BREACH_FIELDS} for b in unit.get("breaches", [])],
    }, strict=True) for unit in answer.units)
    return DistributionReading(period, answer.position, answer.outcome, units)
