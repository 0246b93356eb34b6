"""Small HTTP helpers of the integration flows: a bearer header, a working-day clock time,
a POST that must answer a given status."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.auth import Principal, Role, issue_token
from shared.settings import AuthSettings

WIB = ZoneInfo("Asia/Jakarta")


def auth(subject: str, role: Role) -> dict[str, str]:
    token = issue_token(AuthSettings(), Principal(subject, role),
                        timedelta(hours=12))  # minted at import: outlive any suite run
    return {"Authorization": f"Bearer {token}"}


def at(day: date) -> datetime:
    """9 in the morning of ``day``, Jakarta time."""
    return datetime(day.year, day.month, day.day, 9, tzinfo=WIB)


async def post(client: httpx.AsyncClient, path: str, headers: dict[str, str], body: Any,
               status: int = 201) -> Any:
    response = await client.post(path, headers=headers, json=body)
    assert response.status_code == status, response.text
    return response.json()
