"""Acting superiors (Plt / Plh): appointing one, and what an appointment allows on the day
before, the first day, the last day and the day after its range. Pure: no I/O."""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from services.intake.domain import acting, rules
from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.domain.facts import ActivityFacts, EmployeeFacts
from shared.auth import ROLES, Principal, Role
from shared.authority import ActingAppointment, acting_for
from shared.events import ActingSuperiorAppointed
from shared.policy import default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
HEAD, PLH, STAFF, OTHER = ("196804111993031009", "198505052010011002", "199001012015032001",
                           "197512312000121003")
FIRST, LAST = date(2026, 3, 9), date(2026, 3, 13)
DAY = timedelta(days=1)
ADMIN = Principal("admin", "admin")
PLH_P = Principal(PLH, "superior")
HEAD_FACTS, PLH_FACTS = EmployeeFacts(HEAD, "U", True), EmployeeFacts(PLH, "U", False)
STAFF_FACTS = EmployeeFacts(STAFF, "U", False)
APPOINTED = ActingAppointment(HEAD, PLH, "Plh", FIRST, LAST)
SCORES = {i.name: 80 for i in POLICY.indicators_for(structural=False)}


def rejected(call: Any, *args: Any) -> Rejected:
    with pytest.raises(Rejected) as info:
        call(*args)
    return info.value


def appoint(valid_from: date = FIRST, valid_to: date = LAST, acting_nip: str = PLH,
            head_nip: str = HEAD) -> c.AppointActingSuperior:
    return c.AppointActingSuperior(head_nip=head_nip, acting_nip=acting_nip, kind="Plh",
                                   valid_from=valid_from, valid_to=valid_to)


# -- the range ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "covered"), [
    (FIRST - DAY, False), (FIRST, True), (FIRST + DAY, True), (LAST - DAY, True),
    (LAST, True), (LAST + DAY, False)])
def test_an_appointment_covers_its_days_both_ends_included(day: date, covered: bool) -> None:
    assert APPOINTED.covers(day) is covered
    assert acting_for(PLH, HEAD, day, [APPOINTED]) == (HEAD if covered else None)


@pytest.mark.parametrize(("start", "end", "overlapping"), [
    (FIRST - 5 * DAY, FIRST - DAY, False), (FIRST - 5 * DAY, FIRST, True),
    (LAST, LAST + 5 * DAY, True), (LAST + DAY, LAST + 5 * DAY, False),
    (FIRST + DAY, LAST - DAY, True), (FIRST - DAY, LAST + DAY, True)])
def test_overlap_is_any_common_day(start: date, end: date, overlapping: bool) -> None:
    assert APPOINTED.overlaps(start, end) is overlapping


def test_acting_for_needs_the_acting_official_the_head_and_a_superior() -> None:
    other_head = ActingAppointment(OTHER, PLH, "Plt", FIRST, LAST)
    assert acting_for(PLH, HEAD, FIRST, [other_head]) is None  # in another head's place
    assert acting_for(OTHER, HEAD, FIRST, [APPOINTED]) is None  # someone else appointed
    assert acting_for(PLH, None, FIRST, [APPOINTED]) is None  # the owner has no superior
    assert acting_for(HEAD, HEAD, FIRST, [APPOINTED]) is None  # the head needs none
    assert acting_for(PLH, HEAD, FIRST, [other_head, APPOINTED]) == HEAD


# -- appointing ----------------------------------------------------------------------------------

def test_an_admin_appoints_an_acting_superior() -> None:
    event = acting.appoint_acting_superior(appoint(), ADMIN, HEAD_FACTS, PLH_FACTS, [])
    assert event == ActingSuperiorAppointed(head_nip=HEAD, acting_nip=PLH, kind="Plh",
                                            valid_from=FIRST, valid_to=LAST)


def test_a_one_day_appointment_is_allowed() -> None:
    event = acting.appoint_acting_superior(appoint(FIRST, FIRST), ADMIN, HEAD_FACTS,
                                           PLH_FACTS, [])
    assert (event.valid_from, event.valid_to) == (FIRST, FIRST)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_an_admin_appoints_even_for_unknown_people(role: Role) -> None:
    err = rejected(acting.appoint_acting_superior, appoint(LAST, FIRST), Principal(HEAD, role),
                   None, None, [APPOINTED])
    assert (err.code, err.status, err.field) == ("role_not_allowed", 403, None)
    assert err.message == f"role {role!r} may not do this (allowed: admin)"


REFUSALS = [
    (appoint(FIRST, FIRST - DAY), HEAD_FACTS, PLH_FACTS, [],
     ("dates_reversed", 422, "valid_to", "valid_to: the appointment ends before it begins")),
    (appoint(acting_nip=HEAD), HEAD_FACTS, HEAD_FACTS, [],
     ("self_appointment", 422, "acting_nip", "acting_nip: nobody acts in their own place")),
    (appoint(), None, PLH_FACTS, [],
     ("unknown_employee", 404, "head_nip", "head_nip: no employee with this NIP")),
    (appoint(), HEAD_FACTS, None, [],
     ("unknown_employee", 404, "acting_nip", "acting_nip: no employee with this NIP")),
    (appoint(LAST, LAST + 9 * DAY), HEAD_FACTS, PLH_FACTS, [APPOINTED],
     ("acting_overlap", 409, "valid_from", "valid_from: the head already has an acting "
      "superior from 2026-03-09 to 2026-03-13")),
    (appoint(FIRST - 9 * DAY, FIRST), HEAD_FACTS, PLH_FACTS, [APPOINTED],
     ("acting_overlap", 409, "valid_from", "valid_from: the head already has an acting "
      "superior from 2026-03-09 to 2026-03-13")),
]


@pytest.mark.parametrize(("cmd", "head", "official", "existing", "expected"), REFUSALS,
                         ids=[r[-1][0] + str(i) for i, r in enumerate(REFUSALS)])
def test_refused_appointments(cmd: c.AppointActingSuperior, head: EmployeeFacts | None,
                              official: EmployeeFacts | None,
                              existing: list[ActingAppointment],
                              expected: tuple[str, int, str, str]) -> None:
    err = rejected(acting.appoint_acting_superior, cmd, ADMIN, head, official, existing)
    assert (err.code, err.status, err.field, err.message) == expected


def test_reversed_dates_are_refused_before_the_lookups_matter() -> None:
    err = rejected(acting.appoint_acting_superior, appoint(LAST, FIRST), ADMIN, None, None, [])
    assert err.code == "dates_reversed"


def test_adjacent_appointments_and_other_heads_do_not_overlap() -> None:
    other_head = ActingAppointment(OTHER, PLH, "Plt", FIRST, LAST)
    event = acting.appoint_acting_superior(appoint(LAST + DAY, LAST + 9 * DAY), ADMIN,
                                           HEAD_FACTS, PLH_FACTS, [APPOINTED, other_head])
    assert event.valid_from == LAST + DAY


# -- validating and rating in the head's place ----------------------------------------------------

def decide(day: date, owner: str = STAFF) -> Any:
    cmd = c.DecideActivity(activity_id=uuid.uuid4(), decision="approved")
    facts = ActivityFacts(str(cmd.activity_id), owner, day, "app")
    return rules.decide_activity(cmd, PLH_P, facts, HEAD, False, [APPOINTED])


@pytest.mark.parametrize("day", [FIRST, LAST])
def test_the_acting_official_validates_within_the_range(day: date) -> None:
    review = decide(day).review
    assert (review.reviewer_nip, review.acting_for, review.decision) == (PLH, HEAD, "approved")


@pytest.mark.parametrize("day", [FIRST - DAY, LAST + DAY])
def test_the_acting_official_may_not_validate_outside_the_range(day: date) -> None:
    err = rejected(decide, day)
    assert (err.code, err.status, err.message) == (
        "not_direct_superior", 403,
        "only the owner's direct superior on the work date may validate this activity")


def test_the_acting_official_does_not_validate_their_own_activity() -> None:
    err = rejected(decide, FIRST, PLH)
    assert (err.code, err.status, err.message) == (
        "self_review", 403, "nobody validates their own activity")


def test_the_direct_superior_decides_without_acting_for() -> None:
    cmd = c.DecideActivity(activity_id=uuid.uuid4(), decision="rejected")
    facts = ActivityFacts(str(cmd.activity_id), STAFF, FIRST, "app")
    review = rules.decide_activity(cmd, Principal(HEAD, "superior"), facts, HEAD, False,
                                   [APPOINTED]).review
    assert (review.reviewer_nip, review.acting_for) == (HEAD, None)


def rate(relation: Any, in_place_of: str | None) -> Any:
    cmd = c.SubmitBehaviourReview(period="2026-03", ratee_nip=STAFF, scores=SCORES)
    return rules.submit_behaviour_review(cmd, PLH_P, STAFF_FACTS, relation, False, POLICY,
                                         LAST, in_place_of).review


@pytest.mark.parametrize("natural", ["peer", None])
def test_who_acts_for_the_ratees_superior_rates_as_the_superior(natural: Any) -> None:
    review = rate(natural, HEAD)
    assert (review.relation, review.acting_for, review.rater_nip) == ("superior", HEAD, PLH)


def test_without_an_appointment_the_natural_relation_holds() -> None:
    review = rate("peer", None)
    assert (review.relation, review.acting_for) == ("peer", None)


def test_an_employee_token_acting_still_needs_the_superior_role() -> None:
    cmd = c.SubmitBehaviourReview(period="2026-03", ratee_nip=STAFF, scores=SCORES)
    err = rejected(rules.submit_behaviour_review, cmd, Principal(PLH, "employee"), STAFF_FACTS,
                   "peer", False, POLICY, LAST, HEAD)
    assert (err.code, err.status) == ("role_not_allowed", 403)
