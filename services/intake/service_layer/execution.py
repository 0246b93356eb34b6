"""Running commands in units of work: a group of requests in one transaction, each command
answered alone (the group committer's unit), or a list of commands all or nothing (the
roster import)."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.service_layer.handlers import Answer, handle
from services.intake.service_layer.ports import Context, NewUnit, Wanted
from shared.auth import Principal
from shared.periods import period_of

Request = tuple[Principal, Sequence[Any]]


async def run_group(new_unit: NewUnit, requests: Sequence[Request], today: date) -> (
    list[list[Answer | Rejected]]
):
    """One unit for every request; a refused command records nothing and its neighbours go
    on. The answers hold once the unit has committed (its exit raises otherwise)."""
    answers: list[list[Answer | Rejected]] = []
    async with new_unit(Context(requests[0][0])) as uow:
        await uow.facts.prefetch(wanted_by(requests))
        for principal, commands in requests:
            uow.context = Context(principal)
            results: list[Answer | Rejected] = []
            for command in commands:
                try:
                    results.append(await handle(uow, command, today))
                except Rejected as rejected:
                    results.append(rejected)
            answers.append(results)
    return answers


class _RollBack(Exception):
    """Leaves a unit of work without committing."""


async def run_all_or_nothing(new_unit: NewUnit, principal: Principal,
                             commands: Sequence[Any], today: date, dry_run: bool = False) -> (
    list[tuple[int, Rejected]]
):
    """Every command in one unit, kept only if none is refused (and not ``dry_run``).
    Returns the refused ones as (index, reason)."""
    refused: list[tuple[int, Rejected]] = []
    try:
        async with new_unit(Context(principal)) as uow:
            for index, command in enumerate(commands):
                try:
                    await handle(uow, command, today)
                except Rejected as rejected:
                    refused.append((index, rejected))
            if refused or dry_run:
                raise _RollBack
    except _RollBack:
        pass
    return refused


def wanted_by(requests: Sequence[Request]) -> Wanted:
    """The facts a group will read, worth a set-based load when there are several: the
    activities decided or revised, and for activity reports the activities, references,
    employees, days and periods they name. One command alone loads what it reads."""
    reports = [(p, cmd) for p, commands in requests for cmd in commands
               if isinstance(cmd, c.ReportActivity)]
    decided = {cmd.activity_id for _, commands in requests for cmd in commands
               if isinstance(cmd, c.DecideActivity | c.ReviseActivity)}
    if len(decided) < 2:
        decided = set()
    if len(reports) < 2:
        return Wanted(activity_ids=frozenset(decided))
    return Wanted(
        activity_ids=frozenset(decided | {cmd.activity_id for _, cmd in reports}),
        refs=frozenset((p.source, cmd.external_ref) for p, cmd in reports if cmd.external_ref),
        nips=frozenset(cmd.nip for _, cmd in reports),
        days=frozenset((cmd.nip, cmd.work_date) for _, cmd in reports),
        periods=frozenset(period_of(cmd.work_date) for _, cmd in reports),
    )
