"""Recording reads of personal data, per request: ``Reads`` notes each person whose data a
request was allowed to read; before the answer goes out, this middleware writes the
request's reads in one INSERT (``adapters.personal_reads``), with the route's template as
the endpoint. A read that cannot be recorded is not answered (500): the record is a legal
obligation (UU PDP art. 31), not a statistic."""

from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.appraisal.adapters import personal_reads
from services.appraisal.adapters.personal_reads import PersonalRead
from shared.auth import Principal

_noted: ContextVar[list[tuple[str, Principal]] | None] = ContextVar("personal_reads",
                                                                     default=None)


def note(caller: Principal, nip: str) -> None:
    """``caller`` is about to read ``nip``'s personal data in this request."""
    noted = _noted.get()
    if noted is not None and (nip, caller) not in noted:
        noted.append((nip, caller))


class ReadRecorder:
    """ASGI middleware: stores the reads a request noted when a 2xx answer starts."""

    def __init__(self, app: ASGIApp, engine: AsyncEngine) -> None:
        self.app, self.engine = app, engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        noted: list[tuple[str, Principal]] = []
        token = _noted.set(noted)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                await personal_reads.record(self.engine, _rows(scope, noted))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            _noted.reset(token)


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
