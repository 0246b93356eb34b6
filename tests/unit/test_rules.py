"""Intake's domain rules, one test (or a few) per rule. Pure: no I/O, fixed 'today'."""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from services.intake.domain import commands as c
from services.intake.domain import rules
from services.intake.domain.errors import Rejected
from services.intake.domain.rules import ActivityFacts, EmployeeFacts
from shared.auth import Principal
from shared.events import (
    ActivityReported,
    BehaviourReview,
    EmployeeRegistered,
    PeriodClosed,
    ReportingLineChanged,
    ValidationReview,
)
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
BERAKHLAK = load_policy(default_policy_path().parent / "erk-berakhlak-2026.1.yaml")
TODAY = date(2026, 3, 18)

BOSS = "196804111993031009"
STAFF = "199001012015032001"
PEER = "198505052010011002"
OTHER = "197512312000121003"

ADMIN = Principal("admin", "admin")
STAFF_P = Principal(STAFF, "employee")
BOSS_P = Principal(BOSS, "superior")
ESAMSAT = Principal("esamsat", "eservice")

STAFF_FACTS = EmployeeFacts(STAFF, "BKPSDM", structural=False)
BOSS_FACTS = EmployeeFacts(BOSS, "BKPSDM", structural=True)
INDICATORS = [i.name for i in POLICY.indicators_for(structural=False)]


def rejected(call: Any, *args: Any, **kwargs: Any) -> Rejected:
    with pytest.raises(Rejected) as info:
        call(*args, **kwargs)
    return info.value


def assert_rejected(err: Rejected, code: str, status: int, field: str | None = None) -> None:
    assert (err.code, err.status) == (code, status), err
    if field is not None:
        assert err.field == field
        assert field in err.message, f"message {err.message!r} does not name {field!r}"


# -- report_activity -------------------------------------------------------------------------


def activity(**changes: Any) -> c.ReportActivity:
    fields: dict[str, Any] = {"activity_id": uuid.uuid4(), "nip": STAFF, "work_date": TODAY,
                              "minutes": 60, "description": "Menyusun laporan"}
    return c.ReportActivity(**{**fields, **changes})


def report(cmd: c.ReportActivity | None = None, principal: Principal = STAFF_P,
           employee: EmployeeFacts | None = STAFF_FACTS, minutes_that_day: int = 0,
           period_closed: bool = False, policy: Any = POLICY) -> ActivityReported:
    return rules.report_activity(cmd or activity(), principal, employee, minutes_that_day,
                                 period_closed, policy, TODAY)


def test_report_activity_accepted() -> None:
    cmd = activity()
    event = report(cmd)
    assert isinstance(event, ActivityReported)
    assert (event.activity_id, event.nip, event.minutes, event.source) == (
        cmd.activity_id, STAFF, 60, "app")


@pytest.mark.parametrize("role", ["admin", "auditor", "dashboard"])
def test_report_activity_role_not_allowed(role: str) -> None:
    err = rejected(report, principal=Principal(STAFF, role))  # type: ignore[arg-type]
    assert_rejected(err, "role_not_allowed", 403)
    assert role in err.message


def test_employee_reports_only_own_activity() -> None:
    assert_rejected(rejected(report, principal=Principal(PEER, "employee")),
                    "not_own_activity", 403)
    # a superior is a person too: not for a subordinate either
    assert_rejected(rejected(report, principal=BOSS_P), "not_own_activity", 403)


def test_eservice_reports_for_anyone_and_source_comes_from_the_principal() -> None:
    event = report(activity(external_ref="TX-1"), principal=ESAMSAT)
    assert event.source == "esamsat"
    assert event.external_ref == "TX-1"
    assert report(principal=STAFF_P).source == "app"


def test_report_activity_unknown_employee() -> None:
    assert_rejected(rejected(report, employee=None), "unknown_employee", 404, "nip")


@pytest.mark.parametrize("minutes", [POLICY.max_minutes_per_activity + 1, 1440])
def test_minutes_above_the_activity_bound(minutes: int) -> None:
    err = rejected(report, activity(minutes=minutes))
    assert_rejected(err, "minutes_out_of_bounds", 422, "minutes")


def test_minutes_bounds_are_inclusive() -> None:
    assert report(activity(minutes=POLICY.min_minutes_per_activity)).minutes == 1
    assert report(activity(minutes=POLICY.max_minutes_per_activity)).minutes == 480


def test_minutes_below_a_policy_minimum() -> None:
    policy = POLICY.model_copy(update={"min_minutes_per_activity": 15})
    err = rejected(report, activity(minutes=10), policy=policy)
    assert_rejected(err, "minutes_out_of_bounds", 422, "minutes")
    assert "15..480" in err.message


def test_day_total_plausibility() -> None:
    limit = POLICY.max_minutes_per_day
    assert report(activity(minutes=60), minutes_that_day=limit - 60).minutes == 60
    err = rejected(report, activity(minutes=61), minutes_that_day=limit - 60)
    assert_rejected(err, "day_total_implausible", 422, "minutes")
    assert str(limit + 1) in err.message


def test_work_date_in_future() -> None:
    err = rejected(report, activity(work_date=TODAY + timedelta(days=1)))
    assert_rejected(err, "work_date_in_future", 422, "work_date")


def test_backdating_window() -> None:
    oldest = TODAY - timedelta(days=POLICY.backdating_days)
    assert report(activity(work_date=oldest)).work_date == oldest
    err = rejected(report, activity(work_date=oldest - timedelta(days=1)))
    assert_rejected(err, "outside_backdating_window", 422, "work_date")
    assert str(POLICY.backdating_days) in err.message


def test_report_into_closed_period() -> None:
    err = rejected(report, period_closed=True)
    assert_rejected(err, "period_closed", 409, "work_date")
    assert "2026-03" in err.message


# -- decide_activity ---------------------------------------------------------------------------


def decide(principal: Principal = BOSS_P, facts: ActivityFacts | None = None,
           superior: str | None = BOSS, closed: bool = False, decision: str = "approved") -> Any:
    activity_id = uuid.uuid4()
    facts = facts or ActivityFacts(str(activity_id), STAFF, TODAY, "app")
    cmd = c.DecideActivity(activity_id=activity_id, decision=decision)  # type: ignore[arg-type]
    return rules.decide_activity(cmd, principal, facts, superior, closed)


def test_validation_by_direct_superior() -> None:
    event = decide(decision="revision_requested")
    assert isinstance(event.review, ValidationReview)
    assert (event.review.owner_nip, event.review.reviewer_nip, event.review.decision) == (
        STAFF, BOSS, "revision_requested")


def test_validation_only_by_direct_superior() -> None:
    err = rejected(decide, principal=Principal(OTHER, "superior"))
    assert_rejected(err, "not_direct_superior", 403)
    # nobody validates an activity of someone without a superior on the work date
    assert_rejected(rejected(decide, superior=None), "not_direct_superior", 403)


def test_validation_roles() -> None:
    assert_rejected(rejected(decide, principal=Principal(BOSS, "admin")), "role_not_allowed", 403)
    assert_rejected(rejected(decide, principal=Principal("esamsat", "eservice")),
                    "role_not_allowed", 403)


def test_validation_of_own_activity() -> None:
    err = rejected(decide, principal=Principal(STAFF, "superior"), superior=STAFF)
    assert_rejected(err, "self_review", 403)


def test_validation_of_unknown_activity() -> None:
    cmd = c.DecideActivity(activity_id=uuid.uuid4(), decision="approved")
    err = rejected(rules.decide_activity, cmd, BOSS_P, None, BOSS, False)
    assert_rejected(err, "unknown_activity", 404, "activity_id")


def test_validation_in_closed_period() -> None:
    assert_rejected(rejected(decide, closed=True), "period_closed", 409)


# -- 360° behaviour reviews --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rater_superior", "ratee_superior", "expected"),
    [
        (None, "R", "superior"),   # the rater is the ratee's superior
        ("E", None, "subordinate"),  # the rater reports to the ratee
        ("B", "B", "peer"),        # same superior
        ("B", "C", None),          # different superiors
        (None, None, None),        # both without superior: not peers
    ],
)
def test_relation_of(rater_superior: str | None, ratee_superior: str | None,
                     expected: str | None) -> None:
    assert rules.relation_of("R", "E", rater_superior, ratee_superior) == expected


def review(scores: dict[str, int] | None = None, ratee: EmployeeFacts | None = STAFF_FACTS,
           principal: Principal = BOSS_P, relation: Any = "superior", closed: bool = False,
           policy: Any = POLICY) -> Any:
    cmd = c.SubmitBehaviourReview(period="2026-03", ratee_nip=STAFF,
                                  scores=scores if scores is not None
                                  else dict.fromkeys(INDICATORS, 80))
    return rules.submit_behaviour_review(cmd, principal, ratee, relation, closed, policy, TODAY)


def test_behaviour_review_accepted_with_sorted_scores() -> None:
    event = review({name: 80 for name in reversed(INDICATORS)})
    assert isinstance(event.review, BehaviourReview)
    assert event.review.relation == "superior"
    assert list(event.review.scores) == sorted(INDICATORS)


def test_behaviour_review_unknown_indicator() -> None:
    err = rejected(review, {**dict.fromkeys(INDICATORS, 80), "charisma": 70})
    assert_rejected(err, "unknown_indicator", 422, "scores.charisma")


def test_behaviour_review_missing_indicator() -> None:
    scores = dict.fromkeys(INDICATORS, 80)
    del scores["disiplin"]
    assert_rejected(rejected(review, scores), "missing_indicator", 422, "scores.disiplin")


def test_leadership_only_for_structural_ratees() -> None:
    with_leadership = {**dict.fromkeys(INDICATORS, 80), "kepemimpinan": 75}
    # not structural: kepemimpinan is not an indicator
    assert_rejected(rejected(review, with_leadership), "unknown_indicator", 422,
                    "scores.kepemimpinan")
    # structural: it is required ...
    structural = EmployeeFacts(STAFF, "BKPSDM", structural=True)
    assert_rejected(rejected(review, dict.fromkeys(INDICATORS, 80), ratee=structural),
                    "missing_indicator", 422, "scores.kepemimpinan")
    # ... and accepted
    assert review(with_leadership, ratee=structural).review.scores["kepemimpinan"] == 75


def test_berakhlak_policy_is_accepted() -> None:
    values = [i.name for i in BERAKHLAK.indicators]
    assert len(values) == 7
    for structural in (False, True):
        ratee = EmployeeFacts(STAFF, "BKPSDM", structural=structural)
        event = review(dict.fromkeys(values, 88), ratee=ratee, policy=BERAKHLAK)
        assert set(event.review.scores) == set(values)
    # the default set does not pass under BerAKHLAK
    err = rejected(review, dict.fromkeys(INDICATORS, 80), policy=BERAKHLAK)
    assert_rejected(err, "unknown_indicator", 422)
    assert BERAKHLAK.version in err.message


def test_behaviour_review_self() -> None:
    err = rejected(review, principal=Principal(STAFF, "employee"))
    assert_rejected(err, "self_review", 422, "ratee_nip")


def test_behaviour_review_unrelated() -> None:
    assert_rejected(rejected(review, relation=None), "not_related", 403)


def test_behaviour_review_unknown_ratee() -> None:
    assert_rejected(rejected(review, ratee=None), "unknown_employee", 404, "ratee_nip")


def test_behaviour_review_roles() -> None:
    assert_rejected(rejected(review, principal=Principal("esamsat", "eservice")),
                    "role_not_allowed", 403)


def test_behaviour_review_closed_period() -> None:
    assert_rejected(rejected(review, closed=True), "period_closed", 409, "period")


@pytest.mark.parametrize("period", ["2026-04", "2027-01"])
def test_behaviour_review_for_a_future_period(period: str) -> None:
    cmd = c.SubmitBehaviourReview(period=period, ratee_nip=STAFF,
                                  scores=dict.fromkeys(INDICATORS, 80))
    err = rejected(rules.submit_behaviour_review, cmd, BOSS_P, STAFF_FACTS, "superior", False,
                   POLICY, TODAY)
    assert_rejected(err, "period_in_future", 422, "period")
    assert period in err.message


# -- periods -----------------------------------------------------------------------------------


def test_close_period() -> None:
    event = rules.close_period(c.ClosePeriod(period="2026-02"), ADMIN, False, TODAY)
    assert event == PeriodClosed(period="2026-02")


def test_close_period_already_closed() -> None:
    err = rejected(rules.close_period, c.ClosePeriod(period="2026-02"), ADMIN, True, TODAY)
    assert_rejected(err, "period_closed", 409, "period")


@pytest.mark.parametrize("period", ["2026-03", "2026-04", "2027-01"])
def test_close_period_not_ended(period: str) -> None:
    err = rejected(rules.close_period, c.ClosePeriod(period=period), ADMIN, False, TODAY)
    assert_rejected(err, "period_not_ended", 422, "period")


def test_close_period_admin_only() -> None:
    err = rejected(rules.close_period, c.ClosePeriod(period="2026-02"), BOSS_P, False, TODAY)
    assert_rejected(err, "role_not_allowed", 403)


# -- roster ------------------------------------------------------------------------------------


def registration(nip: str = STAFF) -> c.RegisterEmployee:
    return c.RegisterEmployee(nip=nip, name="Siti", unit="BKPSDM", position="Analis")


def test_register_employee() -> None:
    event = rules.register_employee(registration(), ADMIN, TODAY)
    assert isinstance(event, EmployeeRegistered)
    assert (event.nip, event.employment_type, event.job_class) == (STAFF, "PNS", 1)


@pytest.mark.parametrize(
    "nip",
    [
        "199002302015032001",  # 30 February
        "199001012015132001",  # appointment month 13
        "199001012015033001",  # gender digit 3
        "199001012015032000",  # sequence 000
        "199001012000032001",  # appointed at 10
        "202701012045032001",  # born after today
    ],
)
def test_register_employee_invalid_nip(nip: str) -> None:
    err = rejected(rules.register_employee, registration(nip), ADMIN, TODAY)
    assert_rejected(err, "invalid_nip", 422, "nip")


def test_register_employee_admin_only() -> None:
    err = rejected(rules.register_employee, registration(), BOSS_P, TODAY)
    assert_rejected(err, "role_not_allowed", 403)


def line(nip: str = STAFF, superior: str | None = BOSS) -> c.ChangeReportingLine:
    return c.ChangeReportingLine(nip=nip, superior_nip=superior, effective_from=TODAY)


def test_change_reporting_line() -> None:
    event = rules.change_reporting_line(line(), ADMIN, STAFF_FACTS, BOSS_FACTS, [])
    assert isinstance(event, ReportingLineChanged)
    assert event.superior_nip == BOSS
    removed = rules.change_reporting_line(line(superior=None), ADMIN, STAFF_FACTS, None, [])
    assert removed.superior_nip is None


def test_reporting_cycle() -> None:
    # STAFF is already above BOSS: BOSS -> OTHER -> STAFF
    err = rejected(rules.change_reporting_line, line(), ADMIN, STAFF_FACTS, BOSS_FACTS,
                   [OTHER, STAFF])
    assert_rejected(err, "reporting_cycle", 422, "superior_nip")


def test_reporting_line_to_oneself() -> None:
    err = rejected(rules.change_reporting_line, line(superior=STAFF), ADMIN, STAFF_FACTS,
                   STAFF_FACTS, [])
    assert_rejected(err, "reporting_cycle", 422, "superior_nip")


def test_reporting_line_unknown_people() -> None:
    err = rejected(rules.change_reporting_line, line(), ADMIN, None, BOSS_FACTS, [])
    assert_rejected(err, "unknown_employee", 404, "nip")
    err = rejected(rules.change_reporting_line, line(), ADMIN, STAFF_FACTS, None, [])
    assert_rejected(err, "unknown_superior", 404, "superior_nip")


def test_reporting_line_admin_only() -> None:
    err = rejected(rules.change_reporting_line, line(), STAFF_P, STAFF_FACTS, BOSS_FACTS, [])
    assert_rejected(err, "role_not_allowed", 403)


# -- publish_policy --------------------------------------------------------------------------


def test_publish_policy() -> None:
    policy = POLICY.model_copy(update={"version": "2026.2", "effective_from": "2026-03"})
    event = rules.publish_policy(policy, ADMIN, existing=None, last_closed_period="2026-02")
    assert event is not None
    assert (event.version, event.effective_from) == ("2026.2", "2026-03")
    assert event.document == policy.model_dump(mode="json")


def test_publish_policy_again_is_a_no_op_but_other_content_conflicts() -> None:
    document = POLICY.model_dump(mode="json")
    assert rules.publish_policy(POLICY, ADMIN, existing=document, last_closed_period=None) is None
    changed = {**document, "monthly_minute_target": 6600}
    err = rejected(rules.publish_policy, POLICY, ADMIN, existing=changed, last_closed_period=None)
    assert_rejected(err, "policy_version_exists", 409, "version")


def test_publish_policy_may_not_reach_into_a_closed_period() -> None:
    policy = POLICY.model_copy(update={"version": "2026.2", "effective_from": "2026-02"})
    err = rejected(rules.publish_policy, policy, ADMIN, existing=None,
                   last_closed_period="2026-02")
    assert_rejected(err, "period_closed", 409, "effective_from")


def test_publish_policy_admin_only() -> None:
    err = rejected(rules.publish_policy, POLICY, STAFF_P, existing=None, last_closed_period=None)
    assert_rejected(err, "role_not_allowed", 403)
