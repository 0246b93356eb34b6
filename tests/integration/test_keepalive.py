"""The simulator's keep-alive HTTP pool against a scripted server on a loopback socket: how
it frames requests, reads both answer framings, reuses connections only when it may, and never
leaves a connection open behind a failure."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from services.simulator.adapters.keepalive import KeepAlivePool

pytestmark = pytest.mark.integration

Answer = Callable[[bytes], bytes | None]
"""Given a request's head, the bytes to answer (None: say nothing)."""


class Server:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.hung_up = asyncio.Event()
        """Set when the client closed a connection it got no answer on."""
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                self.requests.append(head + await reader.readexactly(length))
                reply = self.answer(head)
                if reply is None:
                    await reader.read()  # until the client hangs up
                    self.hung_up.set()
                    return
                writer.write(reply)
                await writer.drain()
                if b"Connection: close" in reply:
                    return
        except asyncio.IncompleteReadError:
            return
        finally:
            writer.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])


Start = Callable[[Answer], Awaitable[Server]]


@pytest.fixture
async def serve() -> AsyncIterator[Start]:
    servers: list[Server] = []

    async def start(answer: Answer) -> Server:
        server = Server(answer)
        server.server = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        servers.append(server)
        return server

    yield start
    for server in servers:
        assert server.server is not None
        server.server.close()


def ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body


async def test_requests_are_framed_and_connections_reused(serve: Start) -> None:
    server = await serve(lambda head: ok(b'{"n":1}'))
    pool = KeepAlivePool("127.0.0.1", server.port, connections=1)
    for _ in range(3):
        status, headers, body = await pool.request("POST", "/v1/x", {"Authorization": "B t"},
                                                   b"[1]")
        assert (status, body) == (200, b'{"n":1}')
    await pool.aclose()
    assert server.connections == 1
    assert server.requests[0] == (b"POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                                  b"Authorization: B t\r\nContent-Length: 3\r\n\r\n[1]"
                                  % server.port)
    assert (b"Content-Length", b"7") in headers


async def test_chunked_answers_are_joined(serve: Start) -> None:
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"4\r\n[1,2\r\n3;ext=1\r\n,3]\r\n0\r\n\r\n")
    server = await serve(lambda head: chunked)
    pool = KeepAlivePool("127.0.0.1", server.port, connections=1)
    assert (await pool.request("GET", "/", {}))[2] == b"[1,2,3]"
    assert (await pool.request("GET", "/", {}))[2] == b"[1,2,3]"  # and the framing held
    await pool.aclose()
    assert server.connections == 1


async def test_an_answer_saying_close_is_not_reused(serve: Start) -> None:
    server = await serve(lambda head: ok(b"{}", b"Connection: close\r\n"))
    pool = KeepAlivePool("127.0.0.1", server.port, connections=4)
    for _ in range(3):
        assert (await pool.request("GET", "/", {}))[0] == 200
    assert server.connections == 3 and not pool.idle


async def test_a_connection_the_server_closed_is_retried_once_on_a_new_one(serve: Start) -> None:
    server = await serve(lambda head: ok(b"{}"))
    pool = KeepAlivePool("127.0.0.1", server.port, connections=1)
    assert (await pool.request("GET", "/", {}))[0] == 200
    (_reader, writer), = pool.idle
    writer.transport.abort()  # as a server's keep-alive timeout would leave it
    assert (await pool.request("GET", "/", {}))[0] == 200
    await pool.aclose()
    assert server.connections == 2


async def test_a_timeout_closes_the_connection(serve: Start) -> None:
    server = await serve(lambda head: None)
    pool = KeepAlivePool("127.0.0.1", server.port, connections=1, timeout=0.2)
    with pytest.raises(TimeoutError):
        await pool.request("GET", "/", {})
    assert not pool.idle
    await asyncio.wait_for(server.hung_up.wait(), 5)


def test_only_plain_http_to_a_host() -> None:
    assert KeepAlivePool.for_url("http://intake:8001", 4).port == 8001
    for url in ("https://intake", "http://intake/v1", "intake:8001"):
        with pytest.raises(ValueError, match="plain http"):
            KeepAlivePool.for_url(url, 4)
