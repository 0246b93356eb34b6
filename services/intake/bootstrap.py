"""Wires intake together: settings -> engine, relay, handlers, HTTP app. Nothing runs at import."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters import event_store
from services.intake.adapters.relay import Relay
from services.intake.adapters.unit_of_work import PostgresUnitOfWork, committed_facts
from services.intake.domain.errors import Rejected
from services.intake.entrypoints.http import build_router
from services.intake.entrypoints.ingress import register_ingress
from services.intake.service_layer.committer import GroupCommitter
from services.intake.service_layer.execution import run_all_or_nothing, run_group
from services.intake.service_layer.period_closer import PeriodCloser
from services.intake.service_layer.ports import Context, FactReader
from services.intake.settings import IntakeSettings
from shared.auth import Principal
from shared.clock import Clock, ClockSettings, make_clock
from shared.db import asyncpg_dsn, make_engine
from shared.docs import api_app
from shared.http import add_health, bearer_principal, install_error_handlers
from shared.kafka import streaming_producer
from shared.policy import load_policy
from shared.settings import AuthSettings, KafkaSettings, OidcSettings
from shared.tokens import TokenVerifier

log = logging.getLogger(__name__)


class Intake:
    """The running write side: executes commands and relays committed events."""

    def __init__(self, settings: IntakeSettings, kafka: KafkaSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.kafka = kafka
        self.engine: AsyncEngine = make_engine(settings.database_url)
        self.relay = Relay(
            self.engine, asyncpg_dsn(settings.database_url),
            lambda: streaming_producer(kafka.bootstrap), kafka.events_topic,
            settings.relay_batch_size, settings.relay_idle_poll_s,
        )
        self._committer = GroupCommitter(self._run_group)
        self.period_closer = PeriodCloser(self.read_facts, self.execute, clock,
                                          settings.period_closer_interval_s)

    def today(self) -> date:
        return self.clock.today()

    def new_unit(self, context: Context) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self.engine, context)

    def read_facts(self) -> AbstractAsyncContextManager[FactReader]:
        return committed_facts(self.engine)

    async def execute(self, principal: Principal, commands: list[Any]) -> list[
        dict[str, Any] | Rejected
    ]:
        """Run commands (in a shared, serialised transaction); a rejected one records
        nothing. The answer comes once the transaction has committed."""
        return await self._committer.submit(principal, commands)

    async def _run_group(self, requests: list[tuple[Principal, list[Any]]]) -> list[list[Any]]:
        return await run_group(self.new_unit, requests, self.today())

    async def execute_all_or_nothing(
        self, principal: Principal, commands: list[Any], dry_run: bool = False
    ) -> list[tuple[int, Rejected]]:
        """Run commands in one transaction, keeping none of them if any is refused (or if
        ``dry_run``). Returns the refused ones as (index, reason)."""
        return await run_all_or_nothing(self.new_unit, principal, commands, self.today(),
                                        dry_run)

    async def ensure_policy(self) -> None:
        """Publish the configured policy file when the store has no policy yet."""
        if self.settings.policy_file is None:
            return
        async with self.read_facts() as facts:
            if await facts.policies():
                return
        policy = load_policy(self.settings.policy_file)
        (result,) = await self.execute(Principal("system", "admin"), [policy])
        log.info("published policy %s: %s", policy.version, result)

    async def health(self) -> dict[str, dict[str, Any]]:
        report: dict[str, dict[str, Any]] = {}
        try:
            async with self.engine.connect() as conn:
                head = await event_store.head_position(conn)
            report["postgres"] = {"status": "ok", "store_head": head,
                                  "relay_published": self.relay.published_position}
        except Exception as exc:
            report["postgres"] = {"status": "down", "error": type(exc).__name__}
        report["kafka"] = await kafka_health(self.kafka.bootstrap)
        return report

    async def close(self) -> None:
        await self._committer.close()
        await self.engine.dispose()


async def kafka_health(bootstrap: str) -> dict[str, Any]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await asyncio.wait_for(admin.start(), 5)
        topics_found = await asyncio.wait_for(admin.list_topics(), 5)
        return {"status": "ok", "topics": len(topics_found)}
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


async def close_due_periods_on_start(closer: PeriodCloser) -> None:
    """Before the first request: a period whose close day came while intake was down is
    closed first. A failure is left to the supervised loop, which tries again at once."""
    try:
        await closer.close_due()
    except Exception:
        log.exception("closing due periods on start failed; the period closer retries")


def build_app(settings: IntakeSettings | None = None, run_relay: bool = True,
              run_ingress: bool = True, clock: Clock | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    intake = Intake(settings, KafkaSettings(),
                    clock or make_clock(ClockSettings(), settings.environment))
    # the secret and the identity provider come from the environment; one verifier, so one
    # cache of verified tokens for HTTP and the ingress
    tokens = TokenVerifier(AuthSettings(), OidcSettings())

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with running(intake, tokens, run_relay, run_ingress):
            yield

    app = api_app(title="e-RK intake", lifespan=lifespan,
                  description="Write side: commands in, events out.")
    app.state.intake = intake
    install_error_handlers(app)
    principal = bearer_principal(tokens)
    app.include_router(build_router(intake.execute, intake.execute_all_or_nothing, principal,
                                    settings.max_batch))
    add_health(app, intake.health)
    return app


@contextlib.asynccontextmanager
async def running(intake: Intake, tokens: TokenVerifier, run_relay: bool,
                  run_ingress: bool) -> AsyncIterator[None]:
    """The background work of a serving intake: the policy on first start, the period
    closer, the relay, the Kafka ingress; all stopped, and the engine closed, on exit."""
    await intake.ensure_policy()
    await close_due_periods_on_start(intake.period_closer)
    tasks = [asyncio.create_task(intake.period_closer.run())]
    if run_relay:
        tasks.append(asyncio.create_task(intake.relay.run()))
    # a list: FastStream reads a string as one host, so "h1:p1,h2:p2" must be split
    broker = KafkaBroker(intake.kafka.bootstrap.split(","), logger=log)
    if run_ingress:
        register_ingress(broker, intake.kafka, tokens, intake.execute,
                         intake.settings.ingress_group)
        await broker.start()
    try:
        yield
    finally:
        await broker.stop()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await intake.close()
