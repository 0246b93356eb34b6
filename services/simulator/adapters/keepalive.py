"""A minimal keep-alive HTTP/1.1 client for load generation (the simulator, the benchmarks).

httpx spent ~5.8 ms of CPU per request with 32 connections (httpcore looks for an async
library by trying imports on every request, and scans every pooled connection), so the
simulator measured itself at ~170 single requests/s; httpx's client layer alone, over a
fast transport, still costs ~0.4 ms. This pool writes a request and reads a Content-Length
or chunked answer on a pooled connection in tens of microseconds. It speaks plain HTTP to
one host: what a load generator on the same network needs, no more.
"""

import asyncio
import contextlib
from urllib.parse import urlsplit

Headers = list[tuple[bytes, bytes]]


class KeepAlivePool:
    """Up to ``connections`` HTTP/1.1 connections to one host, reused while they last."""

    def __init__(self, host: str, port: int, connections: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(connections)
        self._host = f"Host: {host}:{port}\r\n"

    @classmethod
    def for_url(cls, base_url: str, connections: int, timeout: float = 30.0) -> "KeepAlivePool":
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname or url.path.strip("/"):
            raise ValueError(f"the keep-alive pool speaks plain http to a host: {base_url}")
        return cls(url.hostname, url.port or 80, connections, timeout)

    async def request(self, method: str, path: str, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, Headers, bytes]:
        head = "".join([f"{method} {path} HTTP/1.1\r\n", self._host,
                        *(f"{name}: {value}\r\n" for name, value in headers.items()),
                        f"Content-Length: {len(body)}\r\n\r\n"])
        return await self.exchange(head.encode() + body)

    async def aclose(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        self.idle.clear()

    async def exchange(self, request: bytes) -> tuple[int, Headers, bytes]:
        """Send one whole request; (status, headers, body) of its answer. A pooled
        connection the server has closed meanwhile is retried once on a new one."""
        async with self.slots:
            for attempt in range(2):
                if self.idle and not attempt:
                    reader, writer = self.idle.pop()
                else:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                try:
                    async with asyncio.timeout(self.timeout):
                        writer.write(request)
                        status, headers, body, reusable = await _read(reader)
                except (ConnectionError, asyncio.IncompleteReadError):
                    writer.close()
                    if attempt:
                        raise
                    continue
                except BaseException:  # a timeout, a cancellation: the answer is unread
                    writer.close()
                    raise
                if reusable:
                    self.idle.append((reader, writer))
                else:
                    writer.close()
                return status, headers, body
        raise AssertionError("unreachable")


async def _read(reader: asyncio.StreamReader) -> tuple[int, Headers, bytes, bool]:
    lines = (await reader.readuntil(b"\r\n\r\n"))[:-4].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers: Headers = []
    length, chunked, reusable = 0, False, True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip(), value.strip()
        headers.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif lowered == b"connection":
            reusable = value.lower() != b"close"
    if not chunked:
        return status, headers, await reader.readexactly(length) if length else b"", reusable
    parts: list[bytes] = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")
    return status, headers, b"".join(parts), reusable
