"""``erk-intake``: migrate the database, serve the API, mint local tokens."""

from datetime import timedelta

import typer
import uvicorn

from services.intake.adapters.migrations import MIGRATIONS
from services.intake.entrypoints.asyncapi import INGRESS_SUMMARY
from services.intake.entrypoints.checkpoint_key_cli import app as checkpoint_key_app
from services.intake.settings import IntakeSettings
from shared.auth import ROLES, Principal, issue_token
from shared.cli import EXIT_CODES, epilog, exits_clearly
from shared.db import migrate as run_migrations
from shared.keystore import KeyStoreSettings
from shared.keystore_pg import MIGRATIONS as KEYSTORE_MIGRATIONS
from shared.runtime import tune_gc
from shared.settings import AuthSettings, KafkaSettings
from shared.topics import INGRESS_ACTIVITIES, INGRESS_OUTCOMES

app = typer.Typer(help=f"e-RK intake (write side). {EXIT_CODES} Each command's --help has "
                       f"examples.\n\n{INGRESS_SUMMARY}", no_args_is_help=True)
RUNS = ("Runs until stopped (Ctrl-C or SIGTERM: exit 0); settings come from INTAKE_* and "
        "ERK_* variables (README, Configuration).")
app.add_typer(checkpoint_key_app, name="checkpoint-key")


@app.callback()
def _runtime() -> None:
    tune_gc()


@app.command(epilog=epilog("erk-intake migrate",
                           "INTAKE_DATABASE_URL=postgresql+asyncpg://erk:erk@db/erk erk-intake "
                           "migrate"))
@exits_clearly
def migrate() -> None:
    """Create or upgrade the event store and write model."""
    run_migrations(IntakeSettings().database_url, MIGRATIONS)
    typer.echo("intake database is up to date")


@app.command("migrate-keys", epilog=epilog(
    "erk-intake migrate-keys",
    "ERK_KEYS_DATABASE_URL=postgresql+asyncpg://erk_keys:pw@db/erk_keys erk-intake migrate-keys"))
@exits_clearly
def migrate_keys() -> None:
    """Create or upgrade the key store (per-person data keys; its own database)."""
    run_migrations(KeyStoreSettings().database_url, KEYSTORE_MIGRATIONS)
    typer.echo("key store is up to date")


@app.command(epilog=epilog("erk-intake serve",
                           "erk-intake serve --no-relay   # with `erk-intake relay` beside it",
                           "erk-intake serve --no-ingress", codes=RUNS))
def serve(
    relay: bool = typer.Option(True, help="Also run the store-to-Kafka relay."),
    ingress: bool = typer.Option(
        True, help=f"Also consume the e-service Kafka ingress ({INGRESS_ACTIVITIES}) and "
        f"answer on {INGRESS_OUTCOMES}; record format: `erk-intake asyncapi`."),
) -> None:
    """Serve the HTTP API (and the relay, and the Kafka ingress)."""
    from services.intake.bootstrap import build_app

    settings = IntakeSettings()
    uvicorn.run(build_app(settings, run_relay=relay, run_ingress=ingress),
                host=settings.http_host,
                port=settings.http_port, log_level="info", access_log=False)


@app.command(epilog=epilog("erk-intake relay", codes=RUNS))
def relay() -> None:
    """Run only the store-to-Kafka relay (and the checkpointer), e.g. as its own process
    beside ``serve --no-relay`` (one relay leads per store; a second one waits as a hot
    standby)."""
    import asyncio

    from services.intake.bootstrap import Intake
    from shared.clock import ClockSettings, make_clock

    async def run() -> None:
        settings = IntakeSettings()
        intake = Intake(settings, KafkaSettings(),
                        make_clock(ClockSettings(), settings.environment))
        intake.supervisor.start("relay", intake.relay.run)
        checkpointer = intake.checkpointer()  # signs beside the relay
        if checkpointer is not None:
            intake.supervisor.start("checkpointer", checkpointer.run)
        try:
            await intake.supervisor.join()
        finally:
            await intake.supervisor.stop()
            await intake.close()

    asyncio.run(run())


@app.command(epilog=epilog(
    "erk-intake asyncapi > docs/asyncapi.yaml   # the committed copy, which CI compares",
    "erk-intake asyncapi --json > asyncapi.json",
    codes="Exit codes: 0 ok (the document on stdout); 2 usage (an unknown option)."))
def asyncapi(
    json_format: bool = typer.Option(False, "--json", help="JSON instead of YAML."),
) -> None:
    """Print the AsyncAPI 3.0 document of the Kafka topics (ingress, outcomes, rejections,
    events, dead letters): keys, headers and payloads, generated from the contract models."""
    import json

    from services.intake.entrypoints.asyncapi import as_yaml, document

    doc = document()
    typer.echo(json.dumps(doc, indent=2) if json_format else as_yaml(doc), nl=False)


@app.command(epilog=epilog(
    "erk-intake token 199001012015032001",
    "erk-intake token 196804111993031009 --role superior --hours 2",
    "erk-intake token dash --role dashboard",
    'curl -H "Authorization: Bearer $(erk-intake token admin --role admin)" '
    "http://127.0.0.1:8002/v1/periods/2026-03/eligibility?limit=3",
    codes="Exit codes: 0 ok (the token on stdout); 2 usage (an unknown role)."))
def token(
    subject: str = typer.Argument(help="NIP, e-service id or login."),
    role: str = typer.Option("employee", help=f"One of: {', '.join(ROLES)}."),
    hours: float = typer.Option(12, help="Validity."),
) -> None:
    """Mint a bearer token for local use (needs ERK_JWT_SECRET)."""
    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}")
    principal = Principal(subject=subject, role=role)  # type: ignore[arg-type]
    typer.echo(issue_token(AuthSettings(), principal, timedelta(hours=hours)))


if __name__ == "__main__":
    app()
