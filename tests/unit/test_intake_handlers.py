"""The command handlers through the service layer's group runner, on the in-memory adapters
(no database): what each command records and changes, and that a refusal records nothing."""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from services.intake.adapters.memory import InMemoryStore
from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.service_layer.execution import run_all_or_nothing, run_group, wanted_by
from services.intake.service_layer.ports import Wanted
from shared.auth import Principal
from shared.policy import Policy, default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())  # 480 min per activity, 720 a day, close day 10
ADMIN = Principal("admin", "admin")
BOSS, STAFF, PEER = "196804111993031009", "199001012015032001", "198505052010011002"
AS_BOSS, AS_STAFF = Principal(BOSS, "superior"), Principal(STAFF, "employee")
SAMSAT = Principal("e-samsat", "eservice")
TODAY, DAY = date(2026, 3, 4), date(2026, 3, 2)
SCORES = {k: 80 for k in ("integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama")}


class Intake:
    """The service layer over an in-memory store, one unit of work per call."""

    def __init__(self) -> None:
        self.store = InMemoryStore()

    async def group(self, *requests: tuple[Principal, list[Any]], today: date = TODAY) -> (
        list[list[Any]]
    ):
        return await run_group(self.store.unit, list(requests), today)

    async def run(self, principal: Principal, *commands: Any, today: date = TODAY) -> list[Any]:
        (answers,) = await self.group((principal, list(commands)), today=today)
        return answers

    async def one(self, principal: Principal, command: Any, today: date = TODAY) -> Any:
        (answer,) = await self.run(principal, command, today=today)
        return answer

    def stream(self, stream_id: str) -> list[tuple[int, str]]:
        return [(e.stream_version, e.event_type) for e in self.store.events
                if e.stream_id == stream_id]

    def minutes(self, nip: str, day: date) -> int:
        return self.store.tables.day_minutes.get((nip, day), 0)


def employee(nip: str) -> c.RegisterEmployee:
    return c.RegisterEmployee(nip=nip, name="Pegawai", unit="SAMSAT-01", position="Staf",
                              structural=nip == BOSS)


def line(nip: str, superior: str | None, since: date = date(2026, 1, 1)) -> (
    c.ChangeReportingLine
):
    return c.ChangeReportingLine(nip=nip, superior_nip=superior, effective_from=since)


def report(minutes: int = 60, day: date = DAY, ref: str | None = None,
           activity_id: uuid.UUID | None = None, nip: str = STAFF) -> c.ReportActivity:
    return c.ReportActivity(activity_id=activity_id or uuid.uuid4(), nip=nip, work_date=day,
                            minutes=minutes, description="Pelayanan PKB", external_ref=ref)


def decide(cmd: c.ReportActivity, decision: str) -> c.DecideActivity:
    return c.DecideActivity(activity_id=cmd.activity_id, decision=decision)  # type: ignore[arg-type]


@pytest.fixture
async def intake() -> Intake:
    intake = Intake()
    answers = await intake.run(ADMIN, POLICY, employee(BOSS), employee(STAFF), employee(PEER),
                               line(STAFF, BOSS), line(PEER, BOSS))
    assert not [a for a in answers if isinstance(a, Rejected)]
    return intake


async def test_report_decide_revise(intake: Intake) -> None:
    cmd = report(120)
    assert (await intake.one(AS_STAFF, cmd))["status"] == "accepted"
    assert (await intake.one(AS_BOSS, decide(cmd, "revision_requested")))["status"] == (
        "revision_requested")
    moved = c.ReviseActivity(activity_id=cmd.activity_id, minutes=90, description="Diperbaiki",
                             work_date=DAY + timedelta(days=1))
    assert (await intake.one(AS_STAFF, moved))["status"] == "pending"

    assert intake.stream(f"activity-{cmd.activity_id}") == [
        (1, "ActivityReported"), (2, "ReviewSubmitted"), (3, "ActivityRevised")]
    stored = intake.store.tables.activities[cmd.activity_id]
    assert (stored.status, stored.version, stored.work_date, stored.minutes) == (
        "pending", 3, DAY + timedelta(days=1), 90)
    assert stored.as_reported() == (DAY, 120)
    assert (intake.minutes(STAFF, DAY), intake.minutes(STAFF, DAY + timedelta(days=1))) == (
        0, 90)


async def test_a_refusal_records_nothing_and_its_neighbours_go_on(intake: Intake) -> None:
    before = len(intake.store.events)
    good, too_long, also_good = report(60), report(500), report(30)
    answers = await intake.run(AS_STAFF, good, too_long, also_good)
    assert isinstance(answers[1], Rejected) and answers[1].code == "minutes_out_of_bounds"
    assert [a["status"] for a in (answers[0], answers[2])] == ["accepted", "accepted"]
    assert len(intake.store.events) == before + 2
    assert too_long.activity_id not in intake.store.tables.activities
    assert intake.minutes(STAFF, DAY) == 90


async def test_a_refused_command_alone_records_nothing(intake: Intake) -> None:
    before = (len(intake.store.events), dict(intake.store.tables.day_minutes))
    refused = await intake.one(AS_BOSS, report(60))  # not their own activity
    assert isinstance(refused, Rejected) and refused.code == "not_own_activity"
    assert (len(intake.store.events), intake.store.tables.day_minutes) == before


async def test_a_retry_gets_the_first_answer(intake: Intake) -> None:
    first = report(60, ref="ESMT-1")
    answer = await intake.one(SAMSAT, first)
    assert await intake.one(SAMSAT, first) == answer
    regenerated = report(60, ref="ESMT-1")  # the e-service made a fresh activity_id
    assert await intake.one(SAMSAT, regenerated) == answer
    other = await intake.one(SAMSAT, report(45, ref="ESMT-1"))
    assert isinstance(other, Rejected) and (other.code, other.status) == (
        "duplicate_activity", 409)
    assert len(intake.stream(f"activity-{first.activity_id}")) == 1
    assert intake.minutes(STAFF, DAY) == 60


async def test_the_day_total_counts_earlier_commands_of_the_group(intake: Intake) -> None:
    first, second = await intake.group((AS_STAFF, [report(400)]), (AS_STAFF, [report(400)]))
    assert first[0]["status"] == "accepted"
    assert isinstance(second[0], Rejected) and second[0].code == "day_total_implausible"
    assert intake.minutes(STAFF, DAY) == 400


async def test_rejected_minutes_leave_the_days_total(intake: Intake) -> None:
    long_one = report(480)
    await intake.one(AS_STAFF, long_one)
    refused = await intake.one(AS_STAFF, report(300))
    assert isinstance(refused, Rejected) and refused.code == "day_total_implausible"
    await intake.one(AS_BOSS, decide(long_one, "rejected"))
    assert intake.minutes(STAFF, DAY) == 0
    assert (await intake.one(AS_STAFF, report(300)))["status"] == "accepted"
    assert intake.minutes(STAFF, DAY) == 300


async def test_only_the_direct_superior_on_the_work_date_decides(intake: Intake) -> None:
    await intake.one(ADMIN, line(STAFF, PEER, since=DAY + timedelta(days=1)))
    before, after = report(60, DAY), report(60, DAY + timedelta(days=1))
    await intake.run(AS_STAFF, before, after)
    assert (await intake.one(AS_BOSS, decide(before, "approved")))["status"] == "approved"
    refused = await intake.one(AS_BOSS, decide(after, "approved"))
    assert isinstance(refused, Rejected) and refused.code == "not_direct_superior"
    as_peer = Principal(PEER, "superior")
    assert (await intake.one(as_peer, decide(after, "approved")))["status"] == "approved"


async def test_a_period_locked_by_its_close_day_refuses_decisions(intake: Intake) -> None:
    cmd = report(60)
    await intake.one(AS_STAFF, cmd)
    refused = await intake.one(AS_BOSS, decide(cmd, "approved"), today=date(2026, 4, 10))
    assert isinstance(refused, Rejected) and (refused.code, refused.status) == (
        "period_closed", 409)
    assert intake.stream(f"activity-{cmd.activity_id}") == [(1, "ActivityReported")]


async def test_a_period_closes_once(intake: Intake) -> None:
    answer = await intake.one(ADMIN, c.ClosePeriod(period="2026-02"))
    assert answer["period"] == "2026-02"
    again = await intake.one(ADMIN, c.ClosePeriod(period="2026-02"))
    assert isinstance(again, Rejected) and again.code == "period_closed"
    assert intake.stream("period-2026-02") == [(1, "PeriodClosed")]
    assert set(intake.store.tables.closes) == {"2026-02"}
    late = await intake.one(AS_STAFF, c.SubmitBehaviourReview(
        period="2026-02", ratee_nip=PEER, scores=SCORES))
    assert isinstance(late, Rejected) and late.code == "period_closed"


async def test_a_policy_is_published_once_and_never_into_a_closed_period(intake: Intake) -> (
    None
):
    assert await intake.one(ADMIN, POLICY) == {"version": POLICY.version, "published": False}
    await intake.one(ADMIN, c.ClosePeriod(period="2026-02"))
    reaching_back = Policy.model_validate({**POLICY.model_dump(mode="json"),
                                           "version": "v2", "effective_from": "2026-02"})
    refused = await intake.one(ADMIN, reaching_back)
    assert isinstance(refused, Rejected) and refused.code == "period_closed"
    later = reaching_back.model_copy(update={"effective_from": "2026-03"})
    assert (await intake.one(ADMIN, later))["published"] is True
    assert intake.stream("policy") == [(1, "PolicyPublished"), (2, "PolicyPublished")]


async def test_a_policy_governs_the_commands_after_it_in_the_same_unit() -> None:
    intake = Intake()
    answers = await intake.run(ADMIN, POLICY, employee(STAFF))
    assert [a.get("published", True) for a in answers] == [True, True]
    (reported,) = await intake.run(AS_STAFF, report(60))
    assert reported["status"] == "accepted"


async def test_a_reporting_cycle_is_refused(intake: Intake) -> None:
    refused = await intake.one(ADMIN, line(BOSS, STAFF))
    assert isinstance(refused, Rejected) and refused.code == "reporting_cycle"
    assert intake.stream(f"employee-{BOSS}") == [(1, "EmployeeRegistered")]
    assert intake.store.tables.employees[BOSS]["version"] == 1


async def test_a_review_derives_the_relation_and_versions_its_stream(intake: Intake) -> None:
    review = c.SubmitBehaviourReview(period="2026-02", ratee_nip=STAFF, scores=SCORES)
    assert (await intake.one(AS_BOSS, review))["relation"] == "superior"
    await intake.one(AS_BOSS, review)
    assert intake.stream(f"review-2026-02-{BOSS}-{STAFF}") == [
        (1, "ReviewSubmitted"), (2, "ReviewSubmitted")]
    peer_review = c.SubmitBehaviourReview(period="2026-02", ratee_nip=PEER, scores=SCORES)
    assert (await intake.one(AS_STAFF, peer_review))["relation"] == "peer"


async def test_all_or_nothing_keeps_nothing_when_one_is_refused(intake: Intake) -> None:
    before = len(intake.store.events)
    new = "197512312000121003"
    refused = await run_all_or_nothing(intake.store.unit, ADMIN,
                                       [employee(new), line(new, "199999999999999999")], TODAY)
    assert [(i, r.code) for i, r in refused] == [(1, "unknown_superior")]
    assert await run_all_or_nothing(intake.store.unit, ADMIN, [employee(new)], TODAY,
                                    dry_run=True) == []
    assert len(intake.store.events) == before
    assert new not in intake.store.tables.employees
    assert await run_all_or_nothing(intake.store.unit, ADMIN, [employee(new)], TODAY) == []
    assert new in intake.store.tables.employees


def test_a_group_of_reports_is_prefetched_and_a_single_command_is_not() -> None:
    one = report(ref="R-1")
    assert wanted_by([(SAMSAT, [one])]) == Wanted()
    two = report(ref=None, day=date(2026, 2, 27), nip=PEER)
    decisions = [decide(one, "approved"), decide(two, "approved")]
    wanted = wanted_by([(SAMSAT, [one]), (AS_STAFF, [two]), (AS_BOSS, decisions)])
    assert wanted == Wanted(
        activity_ids=frozenset({one.activity_id, two.activity_id}),
        refs=frozenset({("e-samsat", "R-1")}), nips=frozenset({STAFF, PEER}),
        days=frozenset({(STAFF, DAY), (PEER, date(2026, 2, 27))}),
        periods=frozenset({"2026-03", "2026-02"}))
    assert wanted_by([(AS_BOSS, decisions)]) == Wanted(
        activity_ids=frozenset({one.activity_id, two.activity_id}))
