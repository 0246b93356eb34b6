"""Wires intake together: settings -> engine, relay, handlers, HTTP app. Nothing runs at import.
The long-running tasks (relay, checkpointer, period closer, eraser) run supervised
(``shared.supervisor``)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters import event_store
from services.intake.adapters.appraisal_distribution import AppraisalDistribution
from services.intake.adapters.checkpoint_log import PostgresCheckpointLog, kafka_publisher
from services.intake.adapters.ingress_answers import IngressAnswers
from services.intake.adapters.relay import Relay
from services.intake.adapters.relay_lag import read_relay_lag
from services.intake.adapters.unit_of_work import PostgresUnitOfWork, committed_facts
from services.intake.checkpoint_settings import CheckpointSettings
from services.intake.domain.errors import Rejected
from services.intake.entrypoints import asyncapi
from services.intake.entrypoints.asyncapi import INGRESS_SUMMARY
from services.intake.entrypoints.asyncapi_http import asyncapi_router
from services.intake.entrypoints.http import build_router
from services.intake.entrypoints.ingress import register_ingress
from services.intake.metrics import IntakeMetrics
from services.intake.service_layer.checkpointer import Checkpointer
from services.intake.service_layer.closing import PeriodClosing
from services.intake.service_layer.committer import GroupCommitter
from services.intake.service_layer.eraser import Eraser
from services.intake.service_layer.execution import run_all_or_nothing, run_group
from services.intake.service_layer.period_closer import PeriodCloser
from services.intake.service_layer.ports import Context, FactReader
from services.intake.settings import IntakeSettings
from shared import kafka as clients
from shared import log_privacy
from shared.auth import Principal
from shared.clock import Clock, ClockSettings, make_clock
from shared.db import asyncpg_dsn, make_engine
from shared.docs import api_app
from shared.http import add_health, add_metrics, bearer_principal, install_error_handlers
from shared.kafka_access import KafkaAccess
from shared.keystore import KeyStoreSettings
from shared.keystore_pg import open_key_store
from shared.policy import load_policy
from shared.pseudonym import load_pseudonyms
from shared.record_mac import load_relay_key
from shared.settings import AuthSettings, KafkaSettings, OidcSettings
from shared.supervisor import Supervisor
from shared.tokens import TokenVerifier

log = logging.getLogger(__name__)


class Intake:
    """The running write side: executes commands and relays committed events."""

    def __init__(self, settings: IntakeSettings, kafka: KafkaSettings, clock: Clock,
                 keys: KeyStoreSettings | None = None, auth: AuthSettings | None = None) -> None:
        self.settings = settings
        self.keys, self.keys_engine = open_key_store(keys or KeyStoreSettings())
        self.clock = clock
        self.kafka = kafka
        self.access = kafka.access()
        access = self.access
        self.engine: AsyncEngine = make_engine(settings.database_url)
        self.relay = Relay(
            self.engine, asyncpg_dsn(settings.database_url),
            lambda: clients.streaming_producer(access), kafka.events_topic,
            settings.relay_batch_size, settings.relay_idle_poll_s,
            load_relay_key(settings.relay_key_file) if settings.relay_key_file else None,
            pseudonyms=load_pseudonyms(settings.pseudonym_key_file),
        )
        self._committer = GroupCommitter(self._run_group)
        self.metrics = IntakeMetrics(settings.relay_stall_after_s)
        self.supervisor = Supervisor(self.metrics.registry)
        distribution = (AppraisalDistribution(settings.appraisal_url, auth,
                                              settings.appraisal_timeout_s)
                        if settings.appraisal_url and auth else None)
        self.closing = PeriodClosing(self.read_facts, self.execute, distribution, clock)
        self.period_closer = PeriodCloser(self.read_facts, self.closing.close, clock,
                                          settings.period_closer_interval_s)
        self.eraser = Eraser(self.read_facts, self.execute, self.keys, clock,
                             settings.eraser_interval_s)

    def today(self) -> date:
        return self.clock.today()

    def new_unit(self, context: Context) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self.engine, context, self.keys)

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

    async def event_positions(self, event_ids: Sequence[str]) -> dict[str, int]:
        """Where these events stand in the store (for the ingress outcomes)."""
        async with self.engine.connect() as conn:
            return await event_store.positions_of(conn, event_ids)

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
        """The store, the relay's lag (from the store, whichever process relays), Kafka
        and the supervised tasks of this process."""
        report: dict[str, dict[str, Any]] = {}
        try:
            report["relay"] = await self.observe_relay()
            report["postgres"] = {"status": "ok", "store_head": report["relay"]["store_head"]}
        except Exception as exc:
            report["postgres"] = {"status": "down", "error": type(exc).__name__}
        report["kafka"] = await kafka_health(self.access)
        report["tasks"] = self.supervisor.report()
        return report

    def checkpointer(self, settings: CheckpointSettings | None = None) -> Checkpointer | None:
        """The configured checkpointer; None in dev without a key (prod refuses to start)."""
        settings = settings or CheckpointSettings()
        signer = settings.signer(self.settings.environment)
        if signer is None:
            log.warning("no INTAKE_CHECKPOINT_KEY_FILE: the chain is not anchored (dev only)")
            return None
        kafka, access = self.kafka, self.access
        return Checkpointer(PostgresCheckpointLog(self.engine), signer, self.clock,
                            lambda: kafka_publisher(access, kafka.checkpoints_topic),
                            settings.interval_s, settings.every_events)

    async def observe_relay(self) -> dict[str, Any]:
        """Read the relay's lag from the store into the metrics; its health entry."""
        async with self.engine.connect() as conn:
            return self.metrics.observe_relay(await read_relay_lag(conn))

    async def close(self) -> None:
        await self._committer.close()
        await self.engine.dispose()
        await self.keys_engine.dispose()


async def kafka_health(access: KafkaAccess) -> dict[str, Any]:
    admin = clients.admin(access, request_timeout_ms=3000)
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
    log_privacy.install()
    settings = settings or IntakeSettings()
    # the secret and the identity provider come from the environment; one verifier, so one
    # cache of verified tokens for HTTP and the ingress
    auth = AuthSettings()
    tokens = TokenVerifier(auth, OidcSettings())
    intake = Intake(settings, KafkaSettings(),
                    clock or make_clock(ClockSettings(), settings.environment), auth=auth)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with running(intake, tokens, run_relay, run_ingress):
            yield

    app = api_app(title="e-RK intake", lifespan=lifespan,
                  description="Write side: commands in, events out.\n\n"
                  f"**Kafka ingress.** {INGRESS_SUMMARY}")
    app.state.intake = intake
    install_error_handlers(app)
    principal = bearer_principal(tokens)
    app.include_router(build_router(intake.execute, intake.execute_all_or_nothing,
                                    intake.closing.close, principal, settings.max_batch,
                                    intake.eraser.erase_due))
    add_health(app, intake.health)
    app.include_router(asyncapi_router(asyncapi.document(intake.access.bootstrap)))
    add_metrics(app, intake.metrics.registry, intake.observe_relay)
    return app


@contextlib.asynccontextmanager
async def running(intake: Intake, tokens: TokenVerifier, run_relay: bool,
                  run_ingress: bool) -> AsyncIterator[None]:
    """The background work of a serving intake: the policy on first start, the period
    closer, the relay and the checkpointer beside it, the Kafka ingress; all stopped, and
    the engine closed, on exit."""
    checkpointer = intake.checkpointer() if run_relay else None  # prod: no key, no start
    await intake.ensure_policy()
    await close_due_periods_on_start(intake.period_closer)
    intake.supervisor.start("period_closer", intake.period_closer.run)
    intake.supervisor.start("eraser", intake.eraser.run)
    if run_relay:
        intake.supervisor.start("relay", intake.relay.run)
    if checkpointer is not None:
        intake.supervisor.start("checkpointer", checkpointer.run)
    broker = clients.broker(intake.access, logger=log)
    kafka, group = intake.kafka, intake.settings.ingress_group
    answers = IngressAnswers(intake.access, kafka.outcomes_topic, kafka.rejected_topic, group)
    if run_ingress:
        register_ingress(broker, kafka, tokens, intake.execute, intake.event_positions,
                         answers.publish, group)
        await answers.start()
        await broker.start()
    try:
        yield
    finally:
        await broker.stop()
        await answers.stop()
        await intake.supervisor.stop()
        await intake.close()
