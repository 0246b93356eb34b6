"""``erk-appraisal dead-letters``: list, retry and skip dead letters of the projection consumer.

``retry`` decodes the dead letter again with the code now deployed (say, after an upcaster
shipped) and, when it decodes, applies it and then the records parked behind it, in order;
``skip`` gives it up and applies the parked records. Either runs in one transaction that
serialises with the consumer, and running it twice changes nothing
(``service_layer.resolution``).
"""

import asyncio
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from services.appraisal.projections import REGISTRY
from services.appraisal.service_layer.resolution import (
    Action,
    DeadLetterNotFound,
    list_dead_letters,
    resolve,
)
from services.appraisal.settings import AppraisalSettings
from shared.settings import KafkaSettings

app = typer.Typer(help="Dead letters of the projection consumer.", no_args_is_help=True)
STATUSES = ("open", "retried", "skipped", "all")


def _url(url: str | None) -> str:
    return url or AppraisalSettings().database_url


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


@app.command("list")
def list_command(
    status: str = typer.Option("open", help=f"One of: {', '.join(STATUSES)}."),
    limit: int = typer.Option(100, min=1),
    url: str = typer.Option(None, help="Projection database URL (default: the configured one)."),
) -> None:
    """Dead letters with their reason, source coordinates and how many records they hold."""
    if status not in STATUSES:
        raise typer.BadParameter(f"status must be one of {', '.join(STATUSES)}")
    letters = asyncio.run(list_dead_letters(_url(url), status, limit))
    if not letters:
        typer.echo(f"no {status if status != 'all' else ''} dead letters".replace("  ", " "))
        return
    table = Table("id", "status", "code", "source", "key", "type", "parked", "reason", "since")
    for d in letters:
        table.add_row(str(d["id"]), d["status"], d["code"],
                      f"{d['topic']}/{d['partition']}/{d['offset']}", d["key"],
                      d["event_type"] or "", str(d["parked"]), d["reason"],
                      _when(d["created_at"]))
    Console(width=200).print(table)


def _resolve(dead_letter_id: int, action: Action, url: str | None, actor: str) -> None:
    try:
        result = asyncio.run(resolve(_url(url), dead_letter_id, action, actor, KafkaSettings(),
                                     REGISTRY))
    except DeadLetterNotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"dead letter {result.dead_letter_id}: {result.message}")
    for letter in result.new_dead_letters:
        typer.echo(f"  new dead letter {letter.id} ({letter.code}) at offset "
                   f"{letter.record.offset}: {letter.reason}")
    if result.status == "open":
        raise typer.Exit(1)


@app.command()
def retry(
    dead_letter_id: int = typer.Argument(help="Id from `list`."),
    url: str = typer.Option(None, help="Projection database URL (default: the configured one)."),
    actor: str = typer.Option("operator", help="Who retries (recorded)."),
) -> None:
    """Decode the dead letter with the current code; if it now decodes, apply it and release
    the records parked behind it, in order. Exit code 1 when it still does not decode."""
    _resolve(dead_letter_id, "retry", url, actor)


@app.command()
def skip(
    dead_letter_id: int = typer.Argument(help="Id from `list`."),
    url: str = typer.Option(None, help="Projection database URL (default: the configured one)."),
    actor: str = typer.Option("operator", help="Who skips (recorded)."),
) -> None:
    """Give the dead letter up and release the records parked behind it, in order."""
    _resolve(dead_letter_id, "skip", url, actor)


if __name__ == "__main__":
    app()
