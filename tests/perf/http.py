"""The benchmarks' HTTP client: the simulator's keep-alive pool
(``services.simulator.adapters.keepalive``, tens of microseconds a request where httpx costs
about a millisecond) with fixed headers and JSON in and out."""

from typing import Any

import orjson

from services.simulator.adapters.keepalive import KeepAlivePool


class FastHttp:
    def __init__(self, host: str, port: int, headers: dict[str, str], connections: int) -> None:
        self.pool = KeepAlivePool(host, port, connections)
        self.headers = {**headers, "Content-Type": "application/json"}

    async def __aenter__(self) -> "FastHttp":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.pool.aclose()

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        payload = orjson.dumps(body) if body is not None else b""
        status, _, data = await self.pool.request(method, path, self.headers, payload)
        return status, orjson.loads(data) if data else None

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        return await self.request("POST", path, body)

    async def get(self, path: str) -> tuple[int, Any]:
        return await self.request("GET", path)
