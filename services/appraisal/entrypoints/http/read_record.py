"""Recording reads of personal data, per request: ``Reads`` notes each person whose data a
request was allowed to read, and the read edge (``reveal.RequestReveal``) each person an
answer names or whose sealed fields it opens — so list answers are recorded too; before the
answer goes out, this middleware writes the request's reads in one INSERT
(``adapters.personal_reads``), with the route's template as the endpoint. A read that cannot
be recorded is not answered (500): the record is a legal obligation (UU PDP art. 31), not a
statistic."""

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.appraisal.adapters import personal_reads
from services.appraisal.adapters.personal_reads import PersonalRead
from shared.auth import Principal


@dataclass
class _Request:
    reader: Principal | None = None
    """Who this request authenticated as (set by the principal dependency)."""
    noted: dict[tuple[str, Principal], None] = field(default_factory=dict)
    """The reads noted so far, in order, each once."""


_current: ContextVar[_Request | None] = ContextVar("personal_reads", default=None)


def note(caller: Principal, nip: str) -> None:
    """``caller`` is about to read ``nip``'s personal data in this request."""
    request = _current.get()
    if request is not None:
        request.noted[(nip, caller)] = None


def reader() -> Principal | None:
    """Who the current request authenticated as (None: nobody, or outside a request)."""
    request = _current.get()
    return request.reader if request is not None else None


def reading_as(principal: Callable[..., Awaitable[Principal]],
               ) -> Callable[..., Awaitable[Principal]]:
    """The ``principal`` dependency, also remembering the caller as this request's reader
    (the read edge answers and records as them)."""
    async def remembered(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        request = _current.get()
        if request is not None:
            request.reader = caller
        return caller

    return remembered


class ReadRecorder:
    """ASGI middleware: stores the reads a request noted when a 2xx answer starts."""

    def __init__(self, app: ASGIApp, engine: AsyncEngine) -> None:
        self.app, self.engine = app, engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _Request()
        token = _current.set(request)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                await personal_reads.record(self.engine, _rows(scope, list(request.noted)))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            _current.reset(token)


def _rows(scope: Scope, noted: list[tuple[str, Principal]]) -> list[PersonalRead]:
    at, endpoint = datetime.now(UTC), _endpoint(scope)
    return [PersonalRead(at, nip, caller.subject, caller.role, endpoint)
            for nip, caller in noted]


def _endpoint(scope: Scope) -> str:
    """The method and the path with its parameters named, not valued (a NIP in the path
    is the subject's, or another person's: the row says whose already)."""
    path = scope["path"]
    for name, value in scope.get("path_params", {}).items():
        path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return f"{scope['method']} {path}"
