"""The read API's edge: personal fields leave the projections sealed and are opened here,
in every JSON answer, just before it goes out (``shared.personal.Revealer``). Answers without
a sealed value pass untouched; anything that is no JSON (HTML, scripts, files) passes as it
is: the payroll files open their rows in the service layer instead."""

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.events import SEALED_PREFIX
from shared.personal import Revealer

_MARK = SEALED_PREFIX.encode()


class RevealMiddleware:
    def __init__(self, app: ASGIApp, revealer: Revealer) -> None:
        self.app = app
        self.revealer = revealer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def opened(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and _is_json(message):
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = await self._open(b"".join(chunks))
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length",
                                                         str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, opened)

    async def _open(self, body: bytes) -> bytes:
        if _MARK not in body:
            return body
        document: Any = orjson.loads(body)
        return orjson.dumps(await self.revealer.reveal(document))


def _is_json(start: Message) -> bool:
    for key, value in start.get("headers", []):
        if key.lower() == b"content-type":
            return bytes(value).startswith(b"application/json")
    return False
