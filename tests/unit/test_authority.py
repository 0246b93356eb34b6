"""The authority model as a whole matrix: every role x every relation of the principal to
the person concerned x every action that needs authority over someone.

The relation is that of the token's subject (ME) to the other person (OWNER: the
activity's owner, the ratee, the queue's superior, the data's owner) on the date that counts
for the action; "superior_elsewhere" is a superior of OWNER today who was not on that date
(the line moved to ME the day after). Expected outcomes are written out by hand below, not
derived from the module under test.
"""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from services.intake.domain import commands as c
from services.intake.domain import rules
from services.intake.domain.errors import Rejected
from services.intake.domain.rules import ActivityFacts, EmployeeFacts
from shared.auth import ROLES, Principal, Role
from shared.authority import (
    ROLE_ACTIONS,
    activity_read_refusal,
    month_line_date,
    queue_refusal,
    read_refusal,
)
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
INDICATORS = [i.name for i in POLICY.indicators_for(structural=False)]
ME = "196804111993031009"
OWNER = "199001012015032001"
BOSS = "198505052010011002"
OTHER = "197512312000121003"
JAN_1 = date(2026, 1, 1)
TODAY = date(2026, 4, 6)        # March is over, not yet locked (close day 10)
PERIOD = "2026-03"
WORK_DATE = date(2026, 3, 18)

RELATIONS = ["self", "direct_superior", "peer", "subordinate", "unrelated",
             "superior_elsewhere"]
ACTIONS = ["decide", "review", "queue_read", "read_activity", "read_month"]
OK = "ok"
Lines = dict[str, list[tuple[date, str | None]]]


def lines_for(relation: str, day: date) -> tuple[str, Lines]:
    """(OWNER's nip, reporting lines) putting ME in ``relation`` to OWNER on ``day``."""
    if relation == "self":
        return ME, {ME: [(JAN_1, BOSS)]}
    by_relation: dict[str, Lines] = {
        "direct_superior": {OWNER: [(JAN_1, ME)]},
        "peer": {ME: [(JAN_1, BOSS)], OWNER: [(JAN_1, BOSS)]},
        "subordinate": {ME: [(JAN_1, OWNER)], OWNER: [(JAN_1, BOSS)]},
        "unrelated": {ME: [(JAN_1, BOSS)], OWNER: [(JAN_1, OTHER)]},
        "superior_elsewhere": {OWNER: [(JAN_1, OTHER), (day + timedelta(days=1), ME)]},
    }
    return OWNER, by_relation[relation]


def superior_on(lines: Lines, nip: str, day: date) -> str | None:
    current = [(since, boss) for since, boss in lines.get(nip, []) if since <= day]
    return max(current)[1] if current else None


def outcome(call: Any, *args: Any) -> str:
    try:
        result = call(*args)
    except Rejected as rejected:
        assert rejected.status == 403 or rejected.code == "self_review", rejected
        return rejected.code
    if isinstance(result, tuple):  # a (code, message) refusal of shared.authority
        return str(result[0])
    return OK


def attempt(action: str, role: Role, relation: str) -> str:
    me = Principal(ME, role)
    if action == "decide":
        owner, lines = lines_for(relation, WORK_DATE)
        decision = c.DecideActivity(activity_id=uuid.uuid4(), decision="approved")
        facts = ActivityFacts(str(decision.activity_id), owner, WORK_DATE, "app")
        return outcome(rules.decide_activity, decision, me, facts,
                       superior_on(lines, owner, WORK_DATE), False)
    if action == "review":
        day = month_line_date(PERIOD, TODAY)
        owner, lines = lines_for(relation, day)
        relation_found = rules.relation_of(ME, owner, superior_on(lines, ME, day),
                                           superior_on(lines, owner, day))
        review = c.SubmitBehaviourReview(period=PERIOD, ratee_nip=owner,
                                         scores=dict.fromkeys(INDICATORS, 80))
        return outcome(rules.submit_behaviour_review, review, me,
                       EmployeeFacts(owner, "U", False), relation_found, False, POLICY, TODAY)
    if action == "queue_read":
        owner, _ = lines_for(relation, TODAY)
        return outcome(queue_refusal, role, ME, owner)
    day = WORK_DATE if action == "read_activity" else month_line_date(PERIOD, TODAY)
    owner, lines = lines_for(relation, day)
    if action == "read_activity":  # reported through the app, not through ME
        return outcome(activity_read_refusal, role, ME, "app", owner,
                       superior_on(lines, owner, day))
    return outcome(read_refusal, role, ME, owner, superior_on(lines, owner, day))


def everywhere(code: str) -> dict[str, str]:
    return dict.fromkeys(RELATIONS, code)


def but(default: str, **exceptions: str) -> dict[str, str]:
    return {**everywhere(default), **exceptions}


READ_ALL = everywhere(OK)
EXPECTED: dict[str, dict[str, dict[str, str]]] = {
    "decide": {
        "employee": everywhere("role_not_allowed"),
        "superior": but("not_direct_superior", self="self_review", direct_superior=OK),
        "eservice": everywhere("role_not_allowed"),
        "admin": everywhere("role_not_allowed"),
        "auditor": everywhere("role_not_allowed"),
        "dashboard": everywhere("role_not_allowed"),
    },
    "review": {
        "employee": {"self": "self_review", "direct_superior": "role_not_allowed", "peer": OK,
                     "subordinate": OK, "unrelated": "not_related",
                     "superior_elsewhere": "not_related"},
        "superior": {"self": "self_review", "direct_superior": OK, "peer": OK,
                     "subordinate": OK, "unrelated": "not_related",
                     "superior_elsewhere": "not_related"},
        "eservice": everywhere("role_not_allowed"),
        "admin": everywhere("role_not_allowed"),
        "auditor": everywhere("role_not_allowed"),
        "dashboard": everywhere("role_not_allowed"),
    },
    "queue_read": {
        "employee": everywhere("role_not_allowed"),
        "superior": but("not_own_queue", self=OK),
        "eservice": everywhere("role_not_allowed"),
        "admin": READ_ALL, "auditor": READ_ALL, "dashboard": READ_ALL,
    },
    "read_activity": {
        "employee": but("role_not_allowed", self=OK),
        "superior": but("not_direct_superior", self=OK, direct_superior=OK),
        "eservice": everywhere("role_not_allowed"),
        "admin": READ_ALL, "auditor": READ_ALL, "dashboard": READ_ALL,
    },
}
for _action in EXPECTED.values():  # a treasurer reads payroll only (tests/unit/test_payroll*)
    _action["treasurer"] = everywhere("role_not_allowed")
EXPECTED["read_month"] = {**EXPECTED["read_activity"],
                          "eservice": everywhere("role_not_allowed")}
EXPECTED["read_activity"]["eservice"] = everywhere("not_own_source")


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("relation", RELATIONS)
def test_matrix(action: str, role: Role, relation: str) -> None:
    assert attempt(action, role, relation) == EXPECTED[action][role][relation]


def test_every_role_is_in_the_table() -> None:
    assert set(ROLE_ACTIONS) == set(ROLES)


def test_a_superior_may_do_all_an_employee_may() -> None:
    assert ROLE_ACTIONS["employee"] < ROLE_ACTIONS["superior"]


def test_the_review_line_date_is_the_months_last_day_or_today() -> None:
    assert month_line_date("2026-03", TODAY) == date(2026, 3, 31)
    assert month_line_date("2026-04", TODAY) == TODAY
    assert month_line_date("2028-02", date(2028, 5, 1)) == date(2028, 2, 29)


def test_role_refusal_names_the_roles_allowed() -> None:
    cmd = c.DecideActivity(activity_id=uuid.uuid4(), decision="approved")
    facts = ActivityFacts(str(cmd.activity_id), OWNER, WORK_DATE, "app")
    with pytest.raises(Rejected) as info:
        rules.decide_activity(cmd, Principal(ME, "employee"), facts, ME, False)
    assert "'employee'" in info.value.message and "superior" in info.value.message


def test_the_month_line_date_of_the_last_months_of_the_year() -> None:
    assert month_line_date("2026-12", date(2027, 5, 1)) == date(2026, 12, 31)
    assert month_line_date("2026-11", date(2027, 5, 1)) == date(2026, 11, 30)
    assert month_line_date("2024-02", date(2027, 5, 1)) == date(2024, 2, 29)


def test_an_e_service_reads_the_activities_of_its_own_source_only() -> None:
    assert activity_read_refusal("eservice", "esamsat", "esamsat", OWNER, None) is None
    assert activity_read_refusal("eservice", "esamsat", "esamsat", OWNER, BOSS) is None
    assert activity_read_refusal("eservice", "esamsat", "esamsat-b", OWNER, None) == (
        "not_own_source", "an e-service reads only the activities it reported")
    assert activity_read_refusal("eservice", "esamsat", "app", "esamsat", None) == (
        "not_own_source", "an e-service reads only the activities it reported")


def test_the_source_gives_persons_no_reading_right() -> None:
    # an employee named like the source reads by the line, not by the channel
    assert activity_read_refusal("employee", "esamsat", "esamsat", OWNER, None) == (
        "role_not_allowed", "role 'employee' may not do this (allowed: superior, admin, "
        "auditor, dashboard)")
    assert activity_read_refusal("superior", ME, "esamsat", OWNER, ME) is None
    assert activity_read_refusal("superior", ME, "esamsat", OWNER, BOSS) == (
        "not_direct_superior",
        "only the owner and their direct superior on that date may read this")
    assert activity_read_refusal("auditor", "bpk", "esamsat", OWNER, None) is None
    assert activity_read_refusal("employee", OWNER, "esamsat", OWNER, None) is None
