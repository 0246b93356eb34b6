"""``erk-appraisal``: migrate the projection database and serve the consumer and query API."""

import typer
import uvicorn

from services.appraisal.adapters.targets import migrate_projections
from services.appraisal.entrypoints import subject_cli
from services.appraisal.entrypoints.audit_cli import app as audit_app
from services.appraisal.entrypoints.dead_letters_cli import app as dead_letters_app
from services.appraisal.entrypoints.payroll_cli import app as payroll_app
from services.appraisal.projections import REGISTRY
from services.appraisal.settings import AppraisalSettings
from shared.cli import EXIT_CODES, epilog, exits_clearly
from shared.runtime import tune_gc

app = typer.Typer(help=f"e-RK appraisal (read side). {EXIT_CODES} Each command's --help has "
                       "examples.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(dead_letters_app, name="dead-letters")
app.add_typer(payroll_app, name="payroll")
app.command("subject-access", epilog=subject_cli.EPILOG)(subject_cli.subject_access)


@app.callback()
def _runtime() -> None:
    tune_gc()


@app.command(epilog=epilog(
    "erk-appraisal migrate",
    "erk-appraisal migrate --url sqlite+aiosqlite:///audit.db"))
@exits_clearly
def migrate(url: str = typer.Option(None, help="Database URL (default: the configured one).")) -> (
    None
):
    """Create or upgrade the projection schema (PostgreSQL or a SQLite file)."""
    migrate_projections(url or AppraisalSettings().database_url, REGISTRY.migrations)
    typer.echo("appraisal database is up to date")


@app.command(epilog=epilog(
    "erk-appraisal serve", "erk-appraisal serve --no-consume   # the query API alone",
    codes="Runs until stopped (Ctrl-C or SIGTERM: exit 0); settings come from APPRAISAL_* "
          "and ERK_* variables (README, Configuration)."))
def serve(consume: bool = typer.Option(True, help="Also run the projection consumer.")) -> None:
    """Serve the query API and consume events into the projections."""
    from services.appraisal.bootstrap import build_app

    settings = AppraisalSettings()
    uvicorn.run(build_app(settings, consume=consume), host=settings.http_host,
                port=settings.http_port, log_level="info", access_log=False)


if __name__ == "__main__":
    app()
