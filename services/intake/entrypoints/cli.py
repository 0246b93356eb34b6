"""``erk-intake``: migrate the database, serve the API, mint local tokens."""

from datetime import timedelta

import typer
import uvicorn

from services.intake.adapters.migrations import MIGRATIONS
from services.intake.settings import IntakeSettings
from shared.auth import ROLES, Principal, issue_token
from shared.db import migrate as run_migrations
from shared.runtime import tune_gc
from shared.settings import AuthSettings, KafkaSettings

app = typer.Typer(help="e-RK intake (write side).", no_args_is_help=True)


@app.callback()
def _runtime() -> None:
    tune_gc()


@app.command()
def migrate() -> None:
    """Create or upgrade the event store and write model."""
    run_migrations(IntakeSettings().database_url, MIGRATIONS)
    typer.echo("intake database is up to date")


@app.command()
def serve(
    relay: bool = typer.Option(True, help="Also run the store-to-Kafka relay."),
    ingress: bool = typer.Option(True, help="Also consume the e-service Kafka ingress."),
) -> None:
    """Serve the HTTP API (and the relay, and the Kafka ingress)."""
    from services.intake.bootstrap import build_app

    settings = IntakeSettings()
    uvicorn.run(build_app(settings, run_relay=relay, run_ingress=ingress),
                host=settings.http_host,
                port=settings.http_port, log_level="info", access_log=False)


@app.command()
def relay() -> None:
    """Run only the store-to-Kafka relay, e.g. as its own process beside ``serve --no-relay``
    (one relay leads per store; a second one waits as a hot standby)."""
    import asyncio

    from services.intake.bootstrap import Intake
    from shared.clock import ClockSettings, make_clock

    async def run() -> None:
        settings = IntakeSettings()
        intake = Intake(settings, KafkaSettings(),
                        make_clock(ClockSettings(), settings.environment))
        try:
            await intake.relay.run()
        finally:
            await intake.close()

    asyncio.run(run())


@app.command()
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
