"""The distribution-curve check at a period's close, on the in-memory adapters: when it
applies, what a close does with each outcome (recorded before ``PeriodClosed``; a ``block``
refuses an early close but not one on the close day), nothing recorded when appraisal is
away, and appraisal's answer read into a reading."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.intake.adapters.appraisal_distribution import AppraisalDistribution
from services.intake.adapters.memory import InMemoryStore
from services.intake.domain.curve_check import (
    DistributionReading,
    breach_summary,
    close_action,
    curve_applies,
)
from services.intake.domain.errors import Rejected
from services.intake.service_layer.closing import PeriodClosing
from services.intake.service_layer.committer import GroupCommitter
from services.intake.service_layer.execution import run_group
from services.intake.service_layer.period_closer import PeriodCloser
from services.intake.service_layer.ports import DistributionUnavailable
from shared.auth import Principal
from shared.clock import FixedClock
from shared.codec import decode_payload
from shared.events import CheckedUnit, CurveBreach, DistributionChecked
from shared.policy import Policy, default_policy_path, load_policy
from shared.settings import AuthSettings

pytestmark = pytest.mark.unit

ADMIN = Principal("admin", "admin")
NATIONAL = load_policy(default_policy_path())  # 2013, from 2026-01, close day 10
SHIPPED_2022 = load_policy(default_policy_path().parent / "erk-permenpanrb-2022-2026.1.yaml")
WIB = ZoneInfo("Asia/Jakarta")


def policy_2022(breach: str, agencies: list[str], effective_from: str = "2026-03") -> Policy:
    document = SHIPPED_2022.model_dump(mode="json")
    document["predicate"]["curve_breach"] = breach
    return Policy.model_validate({**document, "version": f"bapenda-{breach}",
                                  "effective_from": effective_from, "agencies": agencies})


BREACH = CurveBreach(predicates=["Butuh Perbaikan"], bound="at_least", limit_pct=60,
                     count=0, limit_people=2, by=2)


def reading(outcome: str, period: str = "2026-03") -> DistributionReading:
    breached = outcome != "passed"
    unit = CheckedUnit(unit="BAPENDA-UPT1", organisational_predicate="Butuh Perbaikan",
                       checked=True, policy_version="bapenda", staff={"Baik": 3},
                       breaches=[BREACH] if breached else [], outcome=outcome)  # type: ignore[arg-type]
    return DistributionReading(period, 41, outcome, (unit,))  # type: ignore[arg-type]


class Appraisal:
    """A distribution source answering a set reading, or away; counts the reads."""

    def __init__(self, answer: DistributionReading | None) -> None:
        self.answer = answer
        self.reads = 0

    async def read(self, period: str) -> DistributionReading:
        self.reads += 1
        if self.answer is None:
            raise DistributionUnavailable("appraisal unreachable: ConnectError")
        return self.answer


class Stack:
    def __init__(self, today: date, appraisal: Appraisal) -> None:
        self.store = InMemoryStore()
        self.clock = FixedClock(datetime(today.year, today.month, today.day, 9, tzinfo=WIB))
        self.committer = GroupCommitter(
            lambda requests: run_group(self.store.unit, requests, self.clock.today()))
        self.appraisal = appraisal
        self.closing = PeriodClosing(self.store.committed_facts, self.committer.submit,
                                     appraisal, self.clock)

    async def publish(self, *policies: Policy) -> None:
        for policy in policies:
            await self.committer.submit(ADMIN, [policy])

    def recorded(self) -> list[tuple[str, str, Any]]:
        return [(e.event_type, e.stream_id, decode_payload(e)) for e in self.store.events
                if e.event_type in ("DistributionChecked", "PeriodClosed")]


def test_the_curve_applies_where_a_2022_policy_governs_the_period() -> None:
    agency = policy_2022("warn", ["BAPENDA"])
    assert not curve_applies([NATIONAL], "2026-03")
    assert not curve_applies([NATIONAL, agency], "2026-02")  # before it takes effect
    assert curve_applies([NATIONAL, agency], "2026-03")
    assert curve_applies([NATIONAL, policy_2022("warn", [])], "2026-04")
    # a later national 2013 policy does not hide the agency's 2022 one
    later = NATIONAL.model_copy(update={"version": "national-2", "effective_from": "2026-04"})
    assert curve_applies([NATIONAL, agency, later], "2026-04")


@pytest.mark.parametrize(("outcome", "past_close_day", "action"), [
    ("passed", False, "closed"), ("passed", True, "closed"),
    ("warned", False, "closed"), ("warned", True, "closed"),
    ("blocked", False, "refused"), ("blocked", True, "closed_by_date")])
def test_what_a_close_does_with_each_outcome(outcome: Any, past_close_day: bool,
                                             action: str) -> None:
    assert close_action(outcome, past_close_day) == action


def test_the_summary_names_each_breached_unit_and_band() -> None:
    assert breach_summary(reading("blocked")) == (
        "BAPENDA-UPT1 (Butuh Perbaikan: at_least 60% Butuh Perbaikan by 2)")
    assert breach_summary(reading("passed")) == ""


async def test_a_warned_close_records_the_check_then_the_close() -> None:
    stack = Stack(date(2026, 4, 3), Appraisal(reading("warned")))
    await stack.publish(NATIONAL, policy_2022("warn", ["BAPENDA"]))
    answer = await stack.closing.close(ADMIN, "2026-03")
    assert isinstance(answer, dict)
    assert (answer["closed"], answer["curve_outcome"], answer["close_action"]) == (
        True, "warned", "closed")
    (check_type, stream, check), (close_type, _, _) = stack.recorded()
    assert (check_type, stream, close_type) == (
        "DistributionChecked", "distribution-2026-03", "PeriodClosed")
    assert check == DistributionChecked(period="2026-03", position=41, outcome="warned",
                                        close_action="closed",
                                        units=list(reading("warned").units))


async def test_a_block_refuses_an_early_close_but_records_the_check() -> None:
    stack = Stack(date(2026, 4, 3), Appraisal(reading("blocked")))
    await stack.publish(NATIONAL, policy_2022("block", ["BAPENDA"]))
    refused = await stack.closing.close(ADMIN, "2026-03")
    assert isinstance(refused, Rejected)
    assert (refused.code, refused.status, refused.field) == ("curve_breached", 409, "period")
    assert "BAPENDA-UPT1" in refused.message
    assert [(t, p.close_action) for t, _, p in stack.recorded()] == [
        ("DistributionChecked", "refused")]
    stack.appraisal.answer = reading("passed")  # the predicates were put right
    answer = await stack.closing.close(ADMIN, "2026-03")
    assert isinstance(answer, dict) and answer["closed"] is True
    assert [(t, getattr(p, "close_action", None)) for t, _, p in stack.recorded()] == [
        ("DistributionChecked", "refused"), ("DistributionChecked", "closed"),
        ("PeriodClosed", None)]
    versions = [e.stream_version for e in stack.store.events
                if e.stream_id == "distribution-2026-03"]
    assert versions == [1, 2]


async def test_on_the_close_day_a_block_closes_with_the_breach_on_record() -> None:
    stack = Stack(date(2026, 4, 9), Appraisal(reading("blocked")))
    await stack.publish(NATIONAL, policy_2022("block", ["BAPENDA"]))
    stack.clock.move_to(datetime(2026, 4, 10, 0, 0, tzinfo=WIB))
    closer = PeriodCloser(stack.store.committed_facts, stack.closing.close, stack.clock, 60)
    assert await closer.close_due() == ["2026-01", "2026-02", "2026-03"]
    assert stack.appraisal.reads == 1  # January and February are 2013 months: no curve
    assert [(t, getattr(p, "close_action", None)) for t, _, p in stack.recorded()][-2:] == [
        ("DistributionChecked", "closed_by_date"), ("PeriodClosed", None)]


async def test_appraisal_away_records_nothing_and_the_closer_tries_again() -> None:
    stack = Stack(date(2026, 4, 9), Appraisal(None))
    await stack.publish(NATIONAL, policy_2022("warn", ["BAPENDA"]))
    stack.clock.move_to(datetime(2026, 4, 10, 0, 0, tzinfo=WIB))
    refused = await stack.closing.close(ADMIN, "2026-03")
    assert isinstance(refused, Rejected)
    assert (refused.code, refused.status) == ("appraisal_unavailable", 503)
    assert stack.recorded() == []
    closer = PeriodCloser(stack.store.committed_facts, stack.closing.close, stack.clock, 60)
    assert await closer.close_due() == ["2026-01", "2026-02"]  # March waits for appraisal
    stack.appraisal.answer = reading("warned")
    assert await closer.close_due() == ["2026-03"]


async def test_no_appraisal_configured_is_unavailable() -> None:
    stack = Stack(date(2026, 4, 3), Appraisal(None))
    stack.closing = PeriodClosing(stack.store.committed_facts, stack.committer.submit, None,
                                  stack.clock)
    await stack.publish(NATIONAL, policy_2022("warn", ["BAPENDA"]))
    refused = await stack.closing.close(ADMIN, "2026-03")
    assert isinstance(refused, Rejected) and refused.code == "appraisal_unavailable"
    assert "INTAKE_APPRAISAL_URL" in refused.message


@pytest.mark.parametrize(("principal", "period", "code"), [
    (Principal("198801152010012002", "employee"), "2026-03", "role_not_allowed"),
    (ADMIN, "2026-04", "period_not_ended")])
async def test_a_close_the_rules_refuse_never_asks_appraisal(principal: Principal,
                                                             period: str, code: str) -> None:
    stack = Stack(date(2026, 4, 3), Appraisal(reading("warned")))
    await stack.publish(NATIONAL, policy_2022("warn", ["BAPENDA"]))
    refused = await stack.closing.close(principal, period)
    assert isinstance(refused, Rejected) and refused.code == code
    assert stack.appraisal.reads == 0


async def test_a_2013_period_closes_without_asking_appraisal() -> None:
    stack = Stack(date(2026, 4, 3), Appraisal(None))
    await stack.publish(NATIONAL)
    answer = await stack.closing.close(ADMIN, "2026-03")
    assert isinstance(answer, dict) and "curve_outcome" not in answer
    assert [t for t, _, _ in stack.recorded()] == ["PeriodClosed"]


APPRAISAL_ANSWER = {
    "period": "2026-03", "position": 57, "outcome": "warned", "units": [
        {"unit": "BAPENDA-UPT1", "organisational_predicate": "Butuh Perbaikan",
         "checked": True, "policy_version": "bapenda", "staff": {"Baik": 3},
         "breaches": [{"unit": "BAPENDA-UPT1", "organisational_predicate": "Butuh Perbaikan",
                       "predicates": ["Butuh Perbaikan"], "bound": "at_least",
                       "limit_pct": 60.0, "staff": 3, "count": 0, "limit_people": 2,
                       "by": 2}], "outcome": "warned"},
        {"unit": "BKPSDM", "organisational_predicate": "Baik", "checked": False,
         "reason": "the unit is not on the 2022 regime"}],
    "recorded_checks": [], "recorded_at_close": None}


def source(handler: Any) -> AppraisalDistribution:
    auth = AuthSettings(secret="s" * 32)  # type: ignore[arg-type]
    return AppraisalDistribution("http://appraisal", auth, 5, httpx.MockTransport(handler))


async def test_appraisals_answer_becomes_a_reading() -> None:
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json=APPRAISAL_ANSWER)

    found = await source(answer).read("2026-03")
    assert asked[0].url.path == "/v1/periods/2026-03/distribution"
    assert asked[0].headers["authorization"].startswith("Bearer ")
    assert (found.period, found.position, found.outcome) == ("2026-03", 57, "warned")
    upt, bkpsdm = found.units
    assert upt.breaches == [BREACH]
    assert (bkpsdm.checked, bkpsdm.staff, bkpsdm.breaches, bkpsdm.outcome) == (
        False, {}, [], None)


@pytest.mark.parametrize("response", [
    httpx.Response(503, json={"error": {"code": "unavailable"}}),
    httpx.Response(200, json={**APPRAISAL_ANSWER, "period": "2026-02"}),
    httpx.Response(200, json={**APPRAISAL_ANSWER, "position": "57"}),
    httpx.Response(200, content=b"<html>"),
])
async def test_anything_but_a_distribution_is_unavailable(response: httpx.Response) -> None:
    with pytest.raises(DistributionUnavailable):
        await source(lambda _: response).read("2026-03")


async def test_an_unreachable_appraisal_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(DistributionUnavailable, match="ConnectError"):
        await source(refuse).read("2026-03")


def test_the_summary_joins_two_predicates_two_bands_and_two_units() -> None:
    two = CurveBreach(predicates=["Kurang", "Sangat Kurang"], bound="at_most", limit_pct=12.5,
                      count=3, limit_people=1, by=2)
    first = CheckedUnit(unit="UPT1", organisational_predicate="Baik", checked=True,
                        policy_version="b", staff={"Kurang": 3}, breaches=[BREACH, two],
                        outcome="blocked")
    clean = first.model_copy(update={"unit": "UPT2", "breaches": [], "outcome": "passed"})
    second = first.model_copy(update={"unit": "UPT3", "breaches": [two]})
    summary = breach_summary(DistributionReading(
        "2026-03", 41, "blocked", (first, clean, second)))
    assert summary == (
        "UPT1 (Baik: at_least 60% Butuh Perbaikan by 2, at_most 12.5% Kurang/Sangat Kurang "
        "by 2); UPT3 (Baik: at_most 12.5% Kurang/Sangat Kurang by 2)")
