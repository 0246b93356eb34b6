"""What every operator command (``erk-intake``, ``erk-appraisal``) shares: exit codes that
say what failed, telling "cannot reach the database or Kafka" from every other error, help
epilogs with examples, and JSON output for scripts."""

import functools
from collections.abc import Callable, Iterator
from enum import IntEnum
from typing import Any, ParamSpec, TypeVar

import asyncpg
import orjson
import typer
from aiokafka.errors import KafkaConnectionError
from rich.console import Console

P = ParamSpec("P")
T = TypeVar("T")


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    """The command ran and found something wrong (a check failed, an action did not take)."""
    USAGE = 2
    """A bad option or argument (click's own code), or an id or target that does not fit."""
    UNREACHABLE = 3
    """A database or Kafka could not be reached (down, wrong address, name or password)."""


EXIT_CODES = ("Exit codes: 0 ok; 1 the check or action failed; 2 usage (a bad option or "
              "argument, an unknown id); 3 cannot reach a database or Kafka.")
JSON_HELP = "Print the result as JSON on stdout (progress and warnings go to stderr)."

_UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, unknown host, timed out
    KafkaConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.InvalidCatalogNameError,  # no such database
    asyncpg.InvalidAuthorizationSpecificationError,  # wrong user or password
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


def epilog(*examples: str, codes: str = EXIT_CODES) -> str:
    """A command's help epilog: examples, one per paragraph, then its exit codes."""
    return "Examples:\n\n" + "\n\n".join(f"  $ {e}" for e in examples) + f"\n\n{codes}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [c for c in (current.__cause__, current.__context__,
                             getattr(current, "orig", None)) if isinstance(c, BaseException)]
        if isinstance(current, BaseExceptionGroup):
            todo += current.exceptions


def unreachable(exc: BaseException) -> BaseException | None:
    """The cause that says a database or Kafka could not be reached, if that is what it is."""
    return next((c for c in _causes(exc) if isinstance(c, _UNREACHABLE)), None)


def exits_clearly(command: Callable[P, T]) -> Callable[P, T]:
    """Turns "cannot reach a database or Kafka" into one line on stderr and exit code 3;
    anything else propagates as it is (a bug keeps its traceback)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:
            cause = unreachable(exc)
            if cause is None:
                raise
            Console(stderr=True).print(f"[red]cannot reach the database or Kafka:[/] "
                                       f"{type(cause).__name__}: {cause}", highlight=False,
                                       soft_wrap=True)
            raise typer.Exit(ExitCode.UNREACHABLE) from exc

    return run


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout (dates and times in ISO 8601)."""
    typer.echo(orjson.dumps(value, default=str,
                            option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())
