"""The operator commands as a person or script meets them (typer's CliRunner, the use cases
replaced): every command's --help has examples and exit codes, --json prints the result's
shape, and the exit code says what failed (1 check failed, 2 usage, 3 unreachable)."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
import pytest
import typer
from aiokafka.errors import KafkaConnectionError
from sqlalchemy.exc import DBAPIError
from typer.main import get_command
from typer.testing import CliRunner

from services.appraisal.entrypoints import audit_cli, dead_letters_cli
from services.appraisal.entrypoints import cli as appraisal_cli
from services.appraisal.service_layer import replay as rp
from services.appraisal.service_layer.resolution import DeadLetterNotFound, Resolution
from services.appraisal.service_layer.verify import AuditReport, Check
from services.intake.entrypoints import cli as intake_cli
from shared.cli import ExitCode, exits_clearly, unreachable

runner = CliRunner()
STATS = rp.ReplayStats(events=120, records=130, applied=118, skipped=2, dead_letters=0,
                       seconds=2.0, peak_rss_mb=80.5)


def leaf_commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if hasattr(command, "commands"):  # a group (typer carries its own click)
        return [leaf for name, sub in command.commands.items()
                for leaf in leaf_commands(sub, (*path, name))]
    return [path]


def commands_of(app: typer.Typer) -> list[tuple[str, ...]]:
    return leaf_commands(get_command(app))


def test_every_command_is_found() -> None:
    assert commands_of(intake_cli.app) == [("migrate",), ("migrate-keys",), ("serve",),
                                         ("relay",), ("asyncapi",),
                                         ("token",), ("checkpoint-key", "generate"),
                                         ("checkpoint-key", "show")]
    assert sorted(commands_of(appraisal_cli.app)) == [
        ("audit", "build-version"), ("audit", "replay"), ("audit", "swap"),
        ("audit", "verify"), ("audit", "verify-listing"), ("dead-letters", "list"),
        ("dead-letters", "retry"), ("dead-letters", "skip"), ("migrate",),
        ("payroll", "export"), ("serve",), ("subject-access",)]


@pytest.mark.parametrize("app, path", [
    *((intake_cli.app, p) for p in commands_of(intake_cli.app)),
    *((appraisal_cli.app, p) for p in commands_of(appraisal_cli.app))])
def test_every_command_has_help_with_examples_and_exit_codes(app: typer.Typer,
                                                             path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # unwrapped
    assert "Examples:" in text and "$ erk-" in text, text
    assert "Exit codes: 0" in text or "Runs until stopped (Ctrl-C or SIGTERM: exit 0)" in text


def test_the_top_level_help_lists_the_exit_codes() -> None:
    for app in (intake_cli.app, appraisal_cli.app):
        text = " ".join(runner.invoke(app, ["--help"]).output.split())  # unwrapped
        assert "3 cannot reach a database or Kafka" in text


# -- exit code 3: cannot reach ------------------------------------------------------------------

def _dbapi(cause: BaseException) -> DBAPIError:
    error = DBAPIError("connect", None, Exception("wrapped"))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)"),
    TimeoutError("timed out"),
    KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 1)]"),
    _dbapi(asyncpg.InvalidPasswordError("password authentication failed for user \"erk\"")),
    _dbapi(asyncpg.InvalidCatalogNameError("database \"gone\" does not exist")),
    ExceptionGroup("tasks", [ValueError("other"), OSError("no route")]),
])
def test_unreachable_stores_and_brokers_are_recognised(error: Exception) -> None:
    assert unreachable(error) is not None


def test_other_errors_are_not_unreachable() -> None:
    assert unreachable(ValueError("bug")) is None
    assert unreachable(_dbapi(asyncpg.UniqueViolationError("duplicate key"))) is None

    @exits_clearly
    def broken() -> None:
        raise ValueError("a bug keeps its traceback")

    with pytest.raises(ValueError, match="traceback"):
        broken()


def test_an_unreachable_database_exits_3_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: Any) -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)")

    monkeypatch.setattr(appraisal_cli, "migrate_projections", refused)
    result = runner.invoke(appraisal_cli.app, ["migrate", "--url", "postgresql://x/y"])
    assert result.exit_code == ExitCode.UNREACHABLE == 3
    assert result.stderr == ("cannot reach the database or Kafka: ConnectionRefusedError: "
                             "[Errno 111] Connect call failed ('127.0.0.1', 1)\n")
    assert result.stdout == ""


# -- dead letters -------------------------------------------------------------------------------

LETTER = {"id": 7, "status": "open", "code": "undecodable", "topic": "erk.events.v1",
          "partition": 2, "offset": 41, "key": "199001012015032001", "event_type": None,
          "reason": "not JSON", "parked": 3, "created_at": datetime(2026, 3, 1, 2, tzinfo=UTC)}


def test_dead_letters_list_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    async def listed(url: str, status: str, limit: int) -> list[dict[str, Any]]:
        assert (url, status, limit) == ("sqlite+aiosqlite:///x.db", "all", 5)
        return [LETTER]

    monkeypatch.setattr(dead_letters_cli, "list_dead_letters", listed)
    result = runner.invoke(dead_letters_cli.app, ["list", "--status", "all", "--limit", "5",
                                                  "--url", "sqlite+aiosqlite:///x.db", "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == [{**LETTER, "created_at": "2026-03-01T02:00:00+00:00"}]


def test_dead_letters_usage_errors_exit_2() -> None:
    result = runner.invoke(dead_letters_cli.app, ["list", "--status", "closed"])
    assert result.exit_code == ExitCode.USAGE == 2
    assert "status must be one of open, retried, skipped, all" in result.output
    assert runner.invoke(dead_letters_cli.app, ["retry", "seven"]).exit_code == 2


def _resolving(monkeypatch: pytest.MonkeyPatch, outcome: Resolution | Exception) -> None:
    async def resolve(*args: Any) -> Resolution:
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(dead_letters_cli, "resolve", resolve)


def test_a_retry_that_still_fails_exits_1_and_says_so_in_json(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving(monkeypatch, Resolution(7, "open", False, "still undecodable: not JSON"))
    result = runner.invoke(dead_letters_cli.app, ["retry", "7", "--url", "x", "--json"])
    assert result.exit_code == ExitCode.FAILED == 1
    assert orjson.loads(result.stdout) == {
        "dead_letter_id": 7, "status": "open", "changed": False, "released": 0,
        "still_parked": 0, "message": "still undecodable: not JSON", "new_dead_letters": []}


def test_a_skip_exits_0_and_an_unknown_id_2(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving(monkeypatch, Resolution(7, "skipped", True, "skipped; 3 parked record(s) "
                                       "applied, 0 still held", released=3))
    skipped = runner.invoke(dead_letters_cli.app, ["skip", "7", "--url", "x", "--json"])
    assert skipped.exit_code == 0, skipped.output
    assert orjson.loads(skipped.stdout)["released"] == 3
    _resolving(monkeypatch, DeadLetterNotFound("no dead letter 99"))
    missing = runner.invoke(dead_letters_cli.app, ["skip", "99", "--url", "x"])
    assert (missing.exit_code, missing.stderr) == (2, "no dead letter 99\n")


# -- audit --------------------------------------------------------------------------------------

def _verifying(monkeypatch: pytest.MonkeyPatch, *results: str) -> None:
    async def run_verify(*args: Any, **kwargs: Any) -> AuditReport:
        return AuditReport(checks=[Check(f"check {n}", r, "details")  # type: ignore[arg-type]
                                   for n, r in enumerate(results)], replay=STATS)

    monkeypatch.setattr(audit_cli, "run_verify", run_verify)


def test_verify_as_json_and_its_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    _verifying(monkeypatch, "PASS", "FAIL")
    failed = runner.invoke(audit_cli.app, ["verify", "--json", "--store-url", "a",
                                           "--live-url", "b"])
    assert failed.exit_code == ExitCode.FAILED, failed.output
    document = orjson.loads(failed.stdout)
    assert document["ok"] is False
    assert document["checks"] == [{"name": "check 0", "result": "PASS", "details": "details"},
                                  {"name": "check 1", "result": "FAIL", "details": "details"}]
    assert document["replay"]["events"] == 120 and document["replay"]["events_per_s"] == 60.0
    assert datetime.fromisoformat(document["at"]).tzinfo is not None
    _verifying(monkeypatch, "PASS")
    passed = runner.invoke(audit_cli.app, ["verify", "--store-url", "a", "--live-url", "b"])
    assert passed.exit_code == 0 and "VERIFIED" in passed.stdout, passed.output


def test_replay_summary_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    async def replay_into(*args: Any, **kwargs: Any) -> rp.ReplayStats:
        kwargs["progress"](130, 130)
        await asyncio.sleep(0)
        return STATS

    monkeypatch.setattr(rp, "replay_into", replay_into)
    result = runner.invoke(audit_cli.app, ["replay", "--into", "sqlite+aiosqlite:///r.db",
                                           "--store-url", "s", "--as-of", "42", "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == {
        "events": 120, "records": 130, "applied": 118, "skipped": 2, "dead_letters": 0,
        "seconds": 2.0, "peak_rss_mb": 80.5, "events_per_s": 60.0, "as_of": "position 42"}
    assert "replay from the event store" in result.stderr  # the progress bar, off stdout


def test_replay_usage_errors_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    async def not_empty(*args: Any, **kwargs: Any) -> rp.ReplayStats:
        raise rp.TargetNotEmpty("the target already holds projections")

    monkeypatch.setattr(rp, "replay_into", not_empty)
    full = runner.invoke(audit_cli.app, ["replay", "--into", "x", "--store-url", "s"])
    assert full.exit_code == 2 and "already holds projections" in full.output
    wrong = runner.invoke(audit_cli.app, ["replay", "--from", "tape", "--into", "x"])
    assert wrong.exit_code == 2 and "--from is 'store' or 'kafka'" in wrong.output


# -- intake -------------------------------------------------------------------------------------

def test_token_prints_a_token_and_refuses_an_unknown_role(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERK_JWT_SECRET", "unit-test-secret-" + "x" * 40)
    minted = runner.invoke(intake_cli.app, ["token", "dash", "--role", "dashboard"])
    assert minted.exit_code == 0 and minted.stdout.count(".") == 2, minted.output
    refused = runner.invoke(intake_cli.app, ["token", "dash", "--role", "boss"])
    assert refused.exit_code == 2 and "role must be one of" in refused.output
