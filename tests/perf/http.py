"""A minimal keep-alive HTTP/1.1 client for load generation. httpx costs ~1 ms of CPU per
request, so on a 2-core box the load generator, not the service, became the bottleneck;
this one writes a request and reads a Content-Length (or chunked) answer on a pooled
connection for a few tens of microseconds."""

import asyncio
import contextlib
from typing import Any

import orjson


class FastHttp:
    def __init__(self, host: str, port: int, headers: dict[str, str], connections: int) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(connections)

    async def __aenter__(self) -> "FastHttp":
        return self

    async def __aexit__(self, *_: object) -> None:
        for _reader, writer in self.idle:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        self.idle.clear()

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        payload = orjson.dumps(body) if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.extra}"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
        async with self.slots:
            for attempt in range(2):
                if self.idle and not attempt:  # a stale keep-alive: retry on a new one
                    reader, writer = self.idle.pop()
                else:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                try:
                    writer.write(head.encode() + payload)
                    status, data = await self._read(reader)
                except (ConnectionError, asyncio.IncompleteReadError):
                    writer.close()
                    if attempt:
                        raise
                    continue
                self.idle.append((reader, writer))
                return status, orjson.loads(data) if data else None
        raise AssertionError("unreachable")

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        return await self.request("POST", path, body)

    async def get(self, path: str) -> tuple[int, Any]:
        return await self.request("GET", path)

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> tuple[int, bytes]:
        header = await reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, chunked = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await reader.readexactly(length) if length else b""
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
