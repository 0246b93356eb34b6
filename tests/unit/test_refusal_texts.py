"""The exact words of every refusal: people read them (the API's ``message``, the audit's
reasons), so a changed text is a changed behaviour. Written out by hand, one per refusal."""

import uuid
from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from services.intake.domain import commands as c
from services.intake.domain import revision, rules
from services.intake.domain.errors import Rejected
from services.intake.domain.rules import ActivityFacts, EmployeeFacts
from shared.auth import Principal
from shared.authority import queue_refusal, read_refusal
from shared.policy import Policy, default_policy_path, load_policy
from shared.strict import IsoDate, IsoUuid

POLICY = load_policy(default_policy_path())
TODAY = date(2026, 3, 18)
BOSS, STAFF, OTHER = "196804111993031009", "199001012015032001", "197512312000121003"
BOSS_P, STAFF_P, ADMIN = Principal(BOSS, "superior"), Principal(STAFF, "employee"), \
    Principal("admin", "admin")
STAFF_FACTS = EmployeeFacts(STAFF, "BKPSDM", structural=False)
SCORES = dict.fromkeys(i.name for i in POLICY.indicators_for(structural=False))


def refusal(call: Any, *args: Any) -> tuple[str, str, str | None]:
    with pytest.raises(Rejected) as info:
        call(*args)
    return info.value.code, info.value.message, info.value.field


def report(nip: str = STAFF, principal: Principal = STAFF_P, work_date: date = TODAY) -> Any:
    cmd = c.ReportActivity(activity_id=uuid.uuid4(), nip=nip, work_date=work_date, minutes=60,
                           description="Menyusun laporan")
    return rules.report_activity(cmd, principal, STAFF_FACTS, 0, False, POLICY, TODAY)


def decide(principal: Principal = BOSS_P, owner: str = STAFF, superior: str | None = BOSS,
           closed: bool = False, found: bool = True) -> Any:
    cmd = c.DecideActivity(activity_id=uuid.uuid4(), decision="approved")
    facts = ActivityFacts(str(cmd.activity_id), owner, date(2026, 2, 27), "app")
    return rules.decide_activity(cmd, principal, facts if found else None, superior, closed)


def review(principal: Principal = BOSS_P, ratee: EmployeeFacts | None = STAFF_FACTS,
           relation: Any = "superior") -> Any:
    cmd = c.SubmitBehaviourReview(period="2026-03", ratee_nip=STAFF,
                                  scores={k: 80 for k in SCORES})
    return rules.submit_behaviour_review(cmd, principal, ratee, relation, False, POLICY, TODAY)


def line(superior: str, chain: list[str]) -> Any:
    cmd = c.ChangeReportingLine(nip=STAFF, superior_nip=superior, effective_from=TODAY)
    return rules.change_reporting_line(cmd, ADMIN, STAFF_FACTS, STAFF_FACTS, chain)


def test_rule_refusals_word_for_word() -> None:
    assert refusal(report, STAFF, Principal(OTHER, "employee")) == (
        "not_own_activity", "employees report only their own activities", None)
    assert refusal(report, STAFF, STAFF_P, date(2026, 3, 19)) == (
        "work_date_in_future", "work_date is in the future", "work_date")
    assert refusal(decide, BOSS_P, STAFF, BOSS, False, False) == (
        "unknown_activity", "activity_id: no such activity", "activity_id")
    assert refusal(decide, BOSS_P, BOSS) == (
        "self_review", "nobody validates their own activity", None)
    assert refusal(decide, Principal(OTHER, "superior")) == (
        "not_direct_superior",
        "only the owner's direct superior on the work date may validate this activity", None)
    assert refusal(decide, BOSS_P, STAFF, BOSS, True) == (
        "period_closed", "period 2026-02 is closed", None)
    assert refusal(review, BOSS_P, None) == (
        "unknown_employee", "ratee_nip: no such employee", "ratee_nip")
    assert refusal(review, STAFF_P) == (
        "self_review", "ratee_nip: nobody rates themselves", "ratee_nip")
    assert refusal(review, BOSS_P, STAFF_FACTS, None) == (
        "not_related",
        "only the direct superior, peers (same superior) and direct subordinates may rate", None)
    assert refusal(line, OTHER, [STAFF]) == (
        "reporting_cycle", "superior_nip: this line would make a cycle", "superior_nip")
    unknown = ("unknown_employee", "nip: no employee with this NIP", "nip")
    cmd = c.ReportActivity(activity_id=uuid.uuid4(), nip=STAFF, work_date=TODAY, minutes=60,
                           description="Menyusun laporan")
    assert refusal(rules.report_activity, cmd, STAFF_P, None, 0, False, POLICY, TODAY) == (
        unknown)
    moved = c.ChangeReportingLine(nip=STAFF, superior_nip=BOSS, effective_from=TODAY)
    assert refusal(rules.change_reporting_line, moved, ADMIN, None, STAFF_FACTS, []) == unknown


def test_roster_and_policy_refusals_word_for_word() -> None:
    cmd = c.ChangeReportingLine(nip=STAFF, superior_nip=BOSS, effective_from=TODAY)
    assert refusal(rules.change_reporting_line, cmd, ADMIN, STAFF_FACTS, None, []) == (
        "unknown_superior", "superior_nip: no such employee", "superior_nip")
    later = POLICY.model_copy(update={"version": "2026.2", "effective_from": "2026-02"})
    assert refusal(rules.publish_policy, later, ADMIN, None, "2026-02") == (
        "period_closed", "effective_from: period 2026-02 is closed; a new policy may govern "
        "only later periods", "effective_from")


def test_validation_and_review_carry_the_note_and_the_comment() -> None:
    cmd = c.DecideActivity(activity_id=uuid.uuid4(), decision="rejected", note="no evidence")
    facts = ActivityFacts(str(cmd.activity_id), STAFF, TODAY, "app")
    assert rules.decide_activity(cmd, BOSS_P, facts, BOSS, False).review.note == "no evidence"
    rated = c.SubmitBehaviourReview(period="2026-03", ratee_nip=STAFF,
                                    scores={k: 80 for k in SCORES}, comment="steady")
    event = rules.submit_behaviour_review(rated, BOSS_P, STAFF_FACTS, "superior", False,
                                          POLICY, TODAY)
    assert event.review.comment == "steady"


def test_read_and_queue_refusals_word_for_word() -> None:
    assert read_refusal("eservice", "esamsat", STAFF, BOSS) == (
        "role_not_allowed", "role 'eservice' may not do this "
        "(allowed: superior, admin, auditor, dashboard)")
    assert read_refusal("superior", BOSS, STAFF, OTHER) == (
        "not_direct_superior",
        "only the owner and their direct superior on that date may read this")
    assert queue_refusal("employee", STAFF, STAFF) == (
        "role_not_allowed", "role 'employee' may not do this "
        "(allowed: superior, admin, auditor, dashboard)")
    assert queue_refusal("superior", BOSS, OTHER) == (
        "not_own_queue", "a superior reads only their own queue")


def error_of(adapter: TypeAdapter[Any], value: str) -> tuple[str, str]:
    with pytest.raises(ValidationError) as info:
        adapter.validate_python(value)
    error = info.value.errors()[0]
    return error["type"], error["msg"]


def test_strict_date_and_uuid_errors_word_for_word() -> None:
    dates, uuids = TypeAdapter(IsoDate), TypeAdapter(IsoUuid)
    assert error_of(dates, "2026-3-1") == (
        "date_format", "Input should be a date written YYYY-MM-DD")
    assert error_of(dates, "2026-02-30") == (
        "date_invalid", "Input should be a calendar date, day is out of range for month")
    assert error_of(uuids, "123") == (
        "uuid_format",
        "Input should be a UUID written like 123e4567-e89b-12d3-a456-426614174000")


@pytest.mark.parametrize(("changes", "message"), [
    ({"relation_weights": {"superior": 50, "peer": 0, "subordinate": -1}},
     "relation_weights: must be positive for peer, subordinate"),
    ({"relation_weights": {"superior": 50}}, "relation_weights: missing peer, subordinate"),
    ({"indicators": [{"name": n, "label": n} for n in ("a", "b", "a", "b")]},
     "indicators: duplicate names a, b"),
    ({"allowance_pct_by_category": {"Baik": 100, "Cukup": 90, "Kurang": 85}},
     "allowance_pct_by_category: missing Sangat Baik, Buruk"),
    ({"allowance_pct_by_category": {**POLICY.allowance_pct_by_category, "X": 1, "Y": 2}},
     "allowance_pct_by_category: unknown category X, Y"),
    ({"allowance_pct_by_category": {**POLICY.allowance_pct_by_category, "Baik": 101}},
     "allowance_pct_by_category: percentages must be 0..100"),
    ({"bands": [{"min_score": 50, "name": "A"}, {"min_score": 0, "name": "A"}],
      "allowance_pct_by_category": {"A": 100}}, "bands: duplicate category names in ['A', 'A']"),
    ({"min_minutes_per_activity": 481},
     "min_minutes_per_activity exceeds max_minutes_per_activity"),
    ({"max_minutes_per_activity": 721}, "max_minutes_per_activity exceeds max_minutes_per_day"),
])
def test_policy_refusals_word_for_word(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Policy.model_validate({"version": "t", "effective_from": "2026-01", **changes})
    assert info.value.errors()[0]["msg"] == f"Value error, {message}"


def test_a_score_below_every_band_names_the_score() -> None:
    with pytest.raises(ValueError, match=r"^score -0\.5 is below every band$"):
        POLICY.category_for(-0.5)


def revise(principal: Principal, facts: Any) -> Any:
    cmd = c.ReviseActivity(activity_id=uuid.uuid4(), minutes=60, description="Diperbaiki")
    return revision.revise_activity(cmd, principal, facts, TODAY)


def revision_facts(source: str = "app", status: str = "revision_requested",
                   closed: bool = False) -> revision.RevisionFacts:
    return revision.RevisionFacts(ActivityFacts("a", STAFF, date(2026, 2, 27), source), status,
                                  0, closed, False, POLICY)


def test_revision_refusals_word_for_word() -> None:
    assert refusal(revise, STAFF_P, None) == (
        "unknown_activity", "activity_id: no such activity", "activity_id")
    assert refusal(revise, Principal("esamsat", "eservice"), revision_facts("app")) == (
        "not_own_source", "an e-service revises only activities it reported itself", None)
    assert refusal(revise, Principal(OTHER, "employee"), revision_facts()) == (
        "not_own_activity", "only the owner revises their activity", None)
    assert refusal(revise, STAFF_P, revision_facts(status="approved")) == (
        "not_revision_requested", "activity_id: the activity is approved; only an activity "
        "sent back for revision can be revised", "activity_id")
    assert refusal(revise, STAFF_P, revision_facts(closed=True)) == (
        "period_closed", "activity_id: period 2026-02 is closed", "activity_id")
