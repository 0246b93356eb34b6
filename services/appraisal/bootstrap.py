"""Wires appraisal together: settings -> engine, projection service, consumer, query API.
Nothing runs at import."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.entrypoints.consumer import ProjectionConsumer
from services.appraisal.entrypoints.dashboard import build_dashboard_router
from services.appraisal.entrypoints.http import build_router
from services.appraisal.entrypoints.sign_on import build_sign_on_router
from services.appraisal.metrics import Metrics
from services.appraisal.service_layer.batches import ProjectionService
from services.appraisal.settings import AppraisalSettings
from shared.clock import Clock, ClockSettings, make_clock
from shared.db import make_engine
from shared.docs import api_app
from shared.http import Checks, add_health, bearer_principal, install_error_handlers
from shared.settings import AuthSettings, KafkaSettings, OidcSettings
from shared.tokens import TokenVerifier


def build_app(settings: AppraisalSettings | None = None, consume: bool = True,
              clock: Clock | None = None) -> FastAPI:
    settings = settings or AppraisalSettings()
    kafka = KafkaSettings()
    oidc = OidcSettings()
    tokens = TokenVerifier(AuthSettings(), oidc)  # the secret comes from the environment
    engine = make_engine(settings.database_url)
    # "today" for the query API (authority on the date, the running month's pace)
    clock = clock or make_clock(ClockSettings(), settings.environment)
    metrics = Metrics()
    consumer = ProjectionConsumer(ProjectionService(engine), kafka.bootstrap, kafka.events_topic,
                                  kafka.dlq_topic, settings.consumer_group, metrics,
                                  settings.max_batch, settings.poll_ms)
    running: dict[str, asyncio.Task[None]] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if consume:
            running["consumer"] = asyncio.create_task(consumer.run())
        try:
            yield
        finally:
            for task in running.values():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await engine.dispose()

    app = api_app(title="e-RK appraisal", lifespan=lifespan,
                  description="Read side: projections of the event history, and queries.")
    install_error_handlers(app)
    principal = bearer_principal(tokens)  # one dependency, so one cache of verified tokens
    app.state.clock = clock
    app.include_router(build_router(engine, principal, clock))
    app.include_router(build_dashboard_router(engine, principal))
    app.include_router(build_sign_on_router(oidc, tokens.oidc))
    add_health(app, _health_checks(engine, consumer, running))
    _add_metrics(app, metrics)
    return app


def _health_checks(engine: AsyncEngine, consumer: ProjectionConsumer,
                   running: dict[str, asyncio.Task[None]]) -> Checks:
    async def checks() -> dict[str, dict[str, Any]]:
        report: dict[str, dict[str, Any]] = {}
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            report["postgres"] = {"status": "ok"}
        except Exception as exc:
            report["postgres"] = {"status": "down", "error": type(exc).__name__}
        task = running.get("consumer")
        alive = task is not None and not task.done()
        report["consumer"] = {"status": "ok" if alive else "down",
                              "assigned_partitions": consumer.assigned()}
        return report

    return checks


def _add_metrics(app: FastAPI, metrics: Metrics) -> None:
    @app.get("/metrics", tags=["operations"])
    async def prometheus() -> Response:
        """Prometheus metrics: events applied, dead letters, consumer lag."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
