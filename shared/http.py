"""HTTP pieces both services share: error bodies, bearer authentication, health shape."""

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.auth import AuthError, Principal, ProviderUnavailable
from shared.authority import Action, role_refusal
from shared.db import is_unavailable
from shared.input_errors import describe
from shared.tokens import TokenVerifier


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code.")
    message: str = Field(description="What is wrong, naming the field.")
    field: str | None = Field(None, description="The offending field, when there is one.")


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(body.model_dump(), status_code=status,
                        headers=dict(headers) if headers else None)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in [(400, "Malformed request"), (401, "Missing or invalid credentials"),
                         (403, "Not allowed for this principal"), (404, "Unknown entity"),
                         (409, "Conflicts with current state"),
                         (415, "Body not sent as JSON"), (422, "Wrong type or breaks a rule"),
                         (503, "The identity provider or the database cannot be reached "
                          "(see Retry-After); a period's close: appraisal cannot be (its "
                          "curve check)")]
}


STORE_RETRY_AFTER_S = 5
UNAVAILABLE_ERRORS = (OSError, SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError)
"""Exception types a lost database surfaces as; ``shared.db.is_unavailable`` decides."""


def install_error_handlers(app: FastAPI, unavailable_code: str = "store_unavailable") -> None:
    """Our error body for every refusal; a database that cannot be reached answers 503
    ``unavailable_code`` with ``Retry-After`` (the transaction rolled back: nothing of the
    request was stored), any other failure stays a 500."""

    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        if not is_unavailable(exc):
            raise exc
        return error_response(503, unavailable_code,
                              "the database cannot be reached; nothing was changed, retry later",
                              headers={"Retry-After": str(STORE_RETRY_AFTER_S)})

    for error_type in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_type, _unavailable)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problem = describe(exc.errors()[0], from_request=True)
        return error_response(problem.status, problem.code, problem.message, problem.field)

    # Starlette's class, not FastAPI's subclass: the framework itself raises Starlette's
    # (an unparseable body, an unknown path, a wrong method) and those need our body too.
    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.detail, dict):
            return error_response(exc.status_code, **exc.detail, headers=exc.headers)
        return error_response(exc.status_code, _status_code_name(exc.status_code),
                              str(exc.detail), headers=exc.headers)


def _status_code_name(status: int) -> str:
    """A stable code for a bare HTTP error: 400 -> 'bad_request', 405 -> 'method_not_allowed'."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


def bearer_principal(tokens: TokenVerifier) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency that turns the Authorization header into a Principal (or 401;
    503 when the identity provider that must vouch for the token cannot be reached).

    Built on ``HTTPBearer`` so that the OpenAPI document declares the bearer scheme on every
    operation that depends on it (``/docs`` then offers "Authorize"); ``auto_error=False``
    keeps the 401 bodies ours."""
    bearer = HTTPBearer(auto_error=False, scheme_name="bearer", bearerFormat="JWT",
                        description="A token from `erk-intake token NAME --role ROLE`.")

    async def principal(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        if credentials is None:  # no header, or another scheme than Bearer
            raise HTTPException(401, {"code": "unauthenticated",
                                      "message": "send 'Authorization: Bearer <token>'"},
                                headers={"WWW-Authenticate": "Bearer"})
        try:
            return await tokens.averify(credentials.credentials.strip())
        except ProviderUnavailable as exc:
            raise HTTPException(503, {"code": "identity_provider_unavailable",
                                      "message": str(exc)},
                                headers={"Retry-After": "5"}) from exc
        except AuthError as exc:
            raise HTTPException(401, {"code": "invalid_token", "message": str(exc)},
                                headers={"WWW-Authenticate": "Bearer"}) from exc

    return principal


def require_action(principal: Principal, *actions: Action) -> None:
    """The token's role must allow one of ``actions`` (``shared.authority``), else 403."""
    message = role_refusal(principal.role, *actions)
    if message is not None:
        raise HTTPException(403, {"code": "role_not_allowed", "message": message})


Checks = Callable[[], Awaitable[dict[str, dict[str, Any]]]]


def add_health(app: FastAPI, checks: Checks) -> None:
    """``GET /health``: each dependency's state from ``checks``, and an overall status that
    is ``ok`` only when every dependency is (503 otherwise)."""

    @app.get("/health", tags=["operations"])
    async def health(response: Response) -> dict[str, Any]:
        """State of each dependency; 503 when one is down."""
        dependencies = await checks()
        ok = all(d.get("status") == "ok" for d in dependencies.values())
        if not ok:
            response.status_code = 503
        return {"status": "ok" if ok else "degraded", **dependencies}


def add_metrics(app: FastAPI, registry: CollectorRegistry,
                refresh: Callable[[], Awaitable[Any]] | None = None) -> None:
    """``GET /metrics``: the registry in Prometheus' text format, after ``refresh`` updated
    the gauges that are read on demand (a failing refresh leaves them as they were: the
    metrics still answer while a dependency is down)."""

    @app.get("/metrics", tags=["operations"])
    async def prometheus() -> Response:
        """Prometheus metrics (names and meanings: docs/operations.md)."""
        if refresh is not None:
            with contextlib.suppress(Exception):
                await refresh()
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
