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
from shared.cli import JSON_HELP, ExitCode, epilog, exits_clearly, print_json
from shared.settings import KafkaSettings

app = typer.Typer(help="Dead letters of the projection consumer.", no_args_is_help=True)
RESOLVE_CODES = ("Exit codes: 0 resolved (or already was); 1 it still does not decode (retry); "
                 "2 usage, or no dead letter with that id; 3 cannot reach the database or "
                 "Kafka.")
STATUSES = ("open", "retried", "skipped", "all")


def _url(url: str | None) -> str:
    return url or AppraisalSettings().database_url


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _failing(offsets: list[int], shown: int = 5) -> str:
    """How many parked records would also fail to decode, and at which offsets."""
    if not offsets:
        return "0"
    more = f", +{len(offsets) - shown}" if len(offsets) > shown else ""
    return f"{len(offsets)} (offsets {', '.join(map(str, offsets[:shown]))}{more})"


@app.command("list", epilog=epilog(
    "erk-appraisal dead-letters list", "erk-appraisal dead-letters list --status all --limit 20",
    "erk-appraisal dead-letters list --json | jq '.[].id'"))
@exits_clearly
def list_command(
    status: str = typer.Option("open", help=f"One of: {', '.join(STATUSES)}."),
    limit: int = typer.Option(100, min=1),
    url: str = typer.Option(None, help="Projection database URL (default: the configured one)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Dead letters with their reason, source coordinates, how many records they hold and
    which of those would fail to decode too (each needs a skip or retry of its own)."""
    if status not in STATUSES:
        raise typer.BadParameter(f"status must be one of {', '.join(STATUSES)}")
    letters = asyncio.run(list_dead_letters(_url(url), status, limit))
    if json_:
        print_json(letters)
        return
    if not letters:
        typer.echo(f"no {status if status != 'all' else ''} dead letters".replace("  ", " "))
        return
    table = Table("id", "status", "code", "source", "key", "type", "parked",
                  "would fail too", "reason", "since")
    for d in letters:
        table.add_row(str(d["id"]), d["status"], d["code"],
                      f"{d['topic']}/{d['partition']}/{d['offset']}", d["key"],
                      d["event_type"] or "", str(d["parked"]), _failing(d["failing"]),
                      d["reason"], _when(d["created_at"]))
    Console(width=200).print(table)


def _resolve(dead_letter_id: int, action: Action, url: str | None, actor: str,
             json_: bool) -> None:
    try:
        result = asyncio.run(resolve(_url(url), dead_letter_id, action, actor, KafkaSettings(),
                                     REGISTRY))
    except DeadLetterNotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(ExitCode.USAGE) from exc
    new = [{"id": d.id, "code": d.code, "offset": d.record.offset, "reason": d.reason}
           for d in result.new_dead_letters]
    if json_:
        print_json({"dead_letter_id": result.dead_letter_id, "status": result.status,
                    "changed": result.changed, "released": result.released,
                    "still_parked": result.still_parked, "message": result.message,
                    "new_dead_letters": new})
    else:
        typer.echo(f"dead letter {result.dead_letter_id}: {result.message}")
        for letter in new:
            typer.echo(f"  new dead letter {letter['id']} ({letter['code']}) at offset "
                       f"{letter['offset']}: {letter['reason']}")
    if result.status == "open":
        raise typer.Exit(ExitCode.FAILED)


@app.command(epilog=epilog("erk-appraisal dead-letters retry 7",
                           "erk-appraisal dead-letters retry 7 --actor budi --json",
                           codes=RESOLVE_CODES))
@exits_clearly
def retry(
    dead_letter_id: int = typer.Argument(help="Id from `list`."),
    url: str = typer.Option(None, help="Projection database URL (default: the configured one)."),
    actor: str = typer.Option("operator", help="Who retries (recorded)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Decode the dead letter with the current code; if it now decodes, apply it and release
    the records parked behind it, in order. Exit code 1 when it still does not decode."""
    _resolve(dead_letter_id, "retry", url, actor, json_)


@app.command(epilog=epilog("erk-appraisal dead-letters skip 7",
                           "erk-appraisal dead-letters skip 7 --actor budi --json",
                           codes=RESOLVE_CODES))
@exits_clearly
def skip(
    dead_letter_id: int = typer.Argument(help="Id from `list`."),
    url: str = typer.Option(None, help="Projection database URL (default: the configured one)."),
    actor: str = typer.Option("operator", help="Who skips (recorded)."),
    json_: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Give the dead letter up and release the records parked behind it, in order."""
    _resolve(dead_letter_id, "skip", url, actor, json_)


if __name__ == "__main__":
    app()
