"""``python -m tests.perf.sink PORT``: an HTTP/1.1 server that accepts anything the simulator
sends, as fast as it can, so a benchmark of the load generator measures the generator.

A batch (a JSON array) is answered with one ``{"status": "accepted"}`` per item, as intake
answers, so the client does its real work of reading the answer; anything else with
``201 {}``. It counts requests and items, and prints them when stopped (SIGTERM/SIGINT)."""

import asyncio
import signal
import sys

import orjson

ACCEPTED = b'{"status":"accepted"}'


class Counts:
    requests = 0
    items = 0


class Sink(asyncio.Protocol):
    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (request := self._take()) is not None:
            self._answer(request)

    def _take(self) -> bytes | None:
        """The body of the next whole request in the buffer, if one is there."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        length = 0
        for line in bytes(self.buffer[:end]).split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return None
        body = bytes(self.buffer[end + 4:end + 4 + length])
        del self.buffer[:end + 4 + length]
        return body

    def _answer(self, body: bytes) -> None:
        self.counts.requests += 1
        if body.startswith(b"["):
            n = len(orjson.loads(body))
            self.counts.items += n
            status, payload = b"200 OK", b"[" + b",".join([ACCEPTED] * n) + b"]"
        else:
            self.counts.items += 1
            status, payload = b"201 Created", b"{}"
        assert self.transport is not None
        self.transport.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                             b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n"
                             + payload)


async def serve(port: int) -> None:
    counts, stop = Counts(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = await loop.create_server(lambda: Sink(counts), "127.0.0.1", port)
    print(f"sink listening on {port}", flush=True)
    async with server:
        await stop.wait()
    print(f"sink: {counts.requests} requests, {counts.items} items", flush=True)


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
