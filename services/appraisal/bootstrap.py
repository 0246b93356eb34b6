"""Wires appraisal together: settings -> engine, projection service, consumer, query API.
Nothing runs at import."""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appraisal.entrypoints.consumer import ProjectionConsumer
from services.appraisal.entrypoints.dashboard import build_dashboard_router
from services.appraisal.entrypoints.http import build_router
from services.appraisal.entrypoints.http.read_record import ReadRecorder, reading_as
from services.appraisal.entrypoints.reveal import RequestReveal, RevealMiddleware
from services.appraisal.entrypoints.sign_on import build_sign_on_router
from services.appraisal.metrics import Metrics
from services.appraisal.service_layer.batches import ProjectionService
from services.appraisal.settings import AppraisalSettings
from shared import log_privacy
from shared.clock import Clock, ClockSettings, make_clock
from shared.db import make_engine
from shared.docs import api_app
from shared.http import Checks, add_health, add_metrics, bearer_principal, install_error_handlers
from shared.keystore import KeyStoreSettings
from shared.keystore_pg import open_key_store
from shared.personal import Revealer
from shared.settings import AuthSettings, EventStoreSettings, KafkaSettings, OidcSettings
from shared.supervisor import Supervisor
from shared.tokens import TokenVerifier


def build_app(settings: AppraisalSettings | None = None, consume: bool = True,
              clock: Clock | None = None, keys: KeyStoreSettings | None = None) -> FastAPI:
    log_privacy.install()
    settings = settings or AppraisalSettings()
    # personal fields stay sealed in the projections; the edge opens them (docs/privacy.md)
    key_store, keys_engine = open_key_store(keys or KeyStoreSettings())
    revealer = Revealer(key_store, settings.key_cache_s)
    kafka = KafkaSettings()
    oidc = OidcSettings()
    tokens = TokenVerifier(AuthSettings(), oidc)  # the secret comes from the environment
    engine = make_engine(settings.database_url)
    # "today" for the query API (authority on the date, the running month's pace)
    clock = clock or make_clock(ClockSettings(), settings.environment)
    metrics = Metrics(settings.consumer_stall_after_s)
    service = ProjectionService(engine, gate=settings.gate())  # only the relay's records
    consumer = ProjectionConsumer(service, kafka.access(), kafka.events_topic,
                                  kafka.dlq_topic, settings.consumer_group, metrics,
                                  settings.max_batch, settings.poll_ms)
    supervisor = Supervisor(metrics.registry)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if consume:
            supervisor.start("consumer", consumer.run)
        try:
            yield
        finally:
            await supervisor.stop()
            await engine.dispose()
            await keys_engine.dispose()

    app = api_app(title="e-RK appraisal", lifespan=lifespan,
                  description="Read side: projections of the event history, and queries.")
    install_error_handlers(app, unavailable_code="projections_unavailable")
    reveal = RequestReveal(engine, revealer)
    app.add_middleware(RevealMiddleware, reveal=reveal)
    # outside the edge: the reads it notes are recorded when the answer starts
    app.add_middleware(ReadRecorder, engine=engine)  # who read whose personal data
    # one dependency, so one cache of verified tokens; it names the request's reader
    principal = reading_as(bearer_principal(tokens))
    app.state.clock = clock
    app.state.metrics = metrics
    app.include_router(build_router(engine, principal, clock, EventStoreSettings().database_url,
                                    reveal))
    app.include_router(build_dashboard_router(engine, principal, metrics.lag_history, clock))
    app.include_router(build_sign_on_router(oidc, tokens.oidc))
    add_health(app, _health_checks(engine, consumer, supervisor, consume))
    add_metrics(app, metrics.registry, _refresh(metrics))
    return app


def _health_checks(engine: AsyncEngine, consumer: ProjectionConsumer, supervisor: Supervisor,
                   consume: bool) -> Checks:
    async def checks() -> dict[str, dict[str, Any]]:
        report: dict[str, dict[str, Any]] = {}
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            report["postgres"] = {"status": "ok"}
        except Exception as exc:
            report["postgres"] = {"status": "down", "error": type(exc).__name__}
        lag = consumer.metrics.consumer_report()
        if not consume:
            lag["status"] = "down"  # nothing consumes in this process
        report["consumer"] = {**lag, "assigned_partitions": consumer.assigned()}
        report["tasks"] = supervisor.report()
        return report

    return checks


def _refresh(metrics: Metrics) -> Callable[[], Awaitable[None]]:
    async def refresh() -> None:
        metrics.consumer_report()  # the lag in seconds grows while nothing is applied

    return refresh
