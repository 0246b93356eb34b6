"""The read API's edge: personal fields leave the projections sealed and are opened here,
in every JSON answer, just before it goes out (:class:`RequestReveal`). There too:

- a person whose processing is restricted has their sealed fields read ``[restricted]`` to
  everyone but them and admins (UU PDP art. 11), in every answer, lists included;
- every person the answer names (an ``nip`` field) or whose sealed fields it opens is noted
  as read by the caller (``read_record``), so list reads are recorded like single ones.

Answers with neither pass untouched; anything that is no JSON (HTML, scripts, files) passes
as it is: the payroll files open their rows with the same :class:`RequestReveal` in the
service layer instead."""

import re
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.appraisal.entrypoints.http import read_record
from services.appraisal.projections.restrictions import restricted_among
from services.appraisal.service_layer.reads import withheld_from
from shared.events import SEALED_PREFIX
from shared.personal import Revealer, sealed_in

_MARKS = (SEALED_PREFIX.encode(), b'"nip":')
_NIP = re.compile(r"\d{18}")


class RequestReveal:
    """The read API's one way of opening sealed fields, as the current request's caller
    may see them; notes whom the answer is about (see the module)."""

    def __init__(self, engine: AsyncEngine, revealer: Revealer) -> None:
        self._engine = engine
        self._revealer = revealer

    async def __call__(self, value: Any) -> Any:
        caller = read_record.reader()
        subjects = {sealed.subject for sealed in sealed_in(value)}
        withheld: set[str] = set()
        if subjects:
            async with self._engine.connect() as conn:
                withheld = withheld_from(caller, await restricted_among(conn, subjects))
        if caller is not None:
            for nip in sorted(named_in(value) | subjects - withheld):
                read_record.note(caller, nip)
        return await self._revealer.reveal(value, withheld) if subjects else value


def named_in(value: Any) -> set[str]:
    """The NIPs of every ``nip`` field in a JSON-like value: the people a row is about."""
    if isinstance(value, Mapping):
        found = {n for n in [value.get("nip")] if isinstance(n, str) and _NIP.fullmatch(n)}
        return found.union(*(named_in(inner) for inner in value.values()))
    if isinstance(value, list | tuple):
        return set().union(*(named_in(inner) for inner in value))
    return set()


class RevealMiddleware:
    def __init__(self, app: ASGIApp, reveal: RequestReveal) -> None:
        self.app = app
        self.reveal = reveal

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
        if not any(mark in body for mark in _MARKS):
            return body
        document: Any = orjson.loads(body)
        opened = await self.reveal(document)
        return body if opened is document else orjson.dumps(opened)


def _is_json(start: Message) -> bool:
    for key, value in start.get("headers", []):
        if key.lower() == b"content-type":
            return bytes(value).startswith(b"application/json")
    return False
