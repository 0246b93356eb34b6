"""Objections (keberatan) as pure rules: the window (day before / of / after the deadline,
calendar and working days), what filing records, who may decide, every refusal's code."""

from datetime import date
from typing import Any

import pytest

from services.intake.domain import commands as c
from services.intake.domain.errors import Rejected
from services.intake.domain.facts import EmployeeFacts, ObjectionFacts
from services.intake.domain.objections import (
    deadline,
    decide_objection,
    file_objection,
    policy_deadline,
)
from shared.auth import Principal
from shared.authority import ActingAppointment
from shared.policy import Policy

pytestmark = pytest.mark.unit

STAFF, HEAD, BOSS, PLH = ("199001012015032001", "196804111993031009", "197001011995031001",
                          "198505052010011002")
PERIOD = "2026-02"
CLOSE_DAY = date(2026, 3, 10)           # February locks on the 10th of March
DEADLINE = date(2026, 3, 24)            # 10 March + 14 calendar days
EMPLOYEE = EmployeeFacts(STAFF, "U", False)
FILE = c.FileObjection(period=PERIOD, reasons="Kegiatan tanggal 3 ditolak keliru")
PENDING = ObjectionFacts(STAFF, PERIOD, BOSS, decided=False)
AS_STAFF = Principal(STAFF, "employee")


def code_of(call: Any, *args: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(Rejected) as refused:
        call(*args, **kwargs)
    return refused.value.code, refused.value.status


@pytest.mark.parametrize(("close", "days", "counts", "expected"), [
    (CLOSE_DAY, 14, "calendar", DEADLINE),
    (CLOSE_DAY, 1, "calendar", date(2026, 3, 11)),
    (date(2026, 12, 10), 30, "calendar", date(2027, 1, 9)),
    # Tuesday 10 March: Mar 11-13 (3), 16-20 (8), 23-27 (13), Monday 30 is the 14th
    (CLOSE_DAY, 14, "working", date(2026, 3, 30)),
    (date(2026, 4, 10), 1, "working", date(2026, 4, 13)),   # a Friday: next Monday
    (date(2026, 4, 11), 1, "working", date(2026, 4, 13)),   # a Saturday: next Monday
    (date(2026, 4, 9), 1, "working", date(2026, 4, 10)),    # a Thursday: Friday
    (date(2026, 4, 10), 5, "working", date(2026, 4, 17)),   # a whole working week
])
def test_the_deadline(close: date, days: int, counts: str, expected: date) -> None:
    assert deadline(close, days, counts) == expected


def test_the_deadline_from_a_policy() -> None:
    assert policy_deadline(Policy(version="t", effective_from="2026-01"), PERIOD) == DEADLINE
    assert policy_deadline(Policy(version="t", effective_from="2026-01", close_day=5,
                                  objection_window_days=5), PERIOD) == date(2026, 3, 10)
    working = Policy(version="t", effective_from="2026-01", objection_window_counts="working")
    assert policy_deadline(working, PERIOD) == date(2026, 3, 30)


def filed(today: date, principal: Principal = AS_STAFF,
          **changes: Any) -> Any:
    facts: dict[str, Any] = {"employee": EMPLOYEE, "final": True, "last_day": DEADLINE,
                             "existing": None, "line": (HEAD, BOSS), **changes}
    return file_objection(FILE, principal, today=today, **facts)


@pytest.mark.parametrize("today", [date(2026, 3, 5), date(2026, 3, 23), DEADLINE])
def test_filing_within_the_window(today: date) -> None:
    event = filed(today)
    assert (event.nip, event.period, event.reasons, event.rater_nip, event.decider_nip,
            event.filed_on, event.deadline) == (
        STAFF, PERIOD, FILE.reasons, HEAD, BOSS, today, DEADLINE)


def test_the_day_after_the_deadline_is_refused() -> None:
    assert code_of(filed, date(2026, 3, 25)) == ("objection_window_expired", 409)


def test_a_superior_objects_to_their_own_result_too() -> None:
    assert filed(DEADLINE, Principal(STAFF, "superior")).nip == STAFF


@pytest.mark.parametrize(("changes", "expected"), [
    ({"final": False}, ("result_not_final", 409)),
    ({"existing": PENDING}, ("already_objected", 409)),
    ({"existing": ObjectionFacts(STAFF, PERIOD, BOSS, decided=True)},
     ("already_objected", 409)),
    ({"employee": None}, ("unknown_employee", 404)),
    ({"line": (None, None)}, ("no_decider", 422)),
    ({"line": (HEAD, None)}, ("no_decider", 422)),
    ({"final": False, "last_day": date(2026, 3, 1)}, ("result_not_final", 409)),
])
def test_filing_refusals(changes: dict[str, Any], expected: tuple[str, int]) -> None:
    assert code_of(filed, DEADLINE, **changes) == expected


@pytest.mark.parametrize("role", ["admin", "eservice", "auditor", "dashboard"])
def test_only_employees_and_superiors_file(role: Any) -> None:
    assert code_of(filed, DEADLINE, Principal(STAFF, role)) == ("role_not_allowed", 403)


TODAY = date(2026, 3, 20)
UPHOLD = c.DecideObjection(nip=STAFF, period=PERIOD, outcome="upheld", reason="Terbukti",
                           approved_minutes=5400)
REJECT = c.DecideObjection(nip=STAFF, period=PERIOD, outcome="rejected", reason="Tidak")
COVERING = ActingAppointment(BOSS, PLH, "Plh", date(2026, 3, 16), TODAY)


def decided(cmd: c.DecideObjection = UPHOLD, subject: str = BOSS, role: Any = "superior",
            objection: ObjectionFacts | None = PENDING,
            appointments: list[ActingAppointment] | None = None, today: date = TODAY) -> Any:
    return decide_objection(cmd, Principal(subject, role), objection, appointments or [], today)


def test_the_decider_upholds_with_the_new_result() -> None:
    event = decided()
    assert (event.nip, event.period, event.decided_by, event.acting_for, event.outcome,
            event.reason, event.decided_on, event.approved_minutes, event.behaviour_score) == (
        STAFF, PERIOD, BOSS, None, "upheld", "Terbukti", TODAY, 5400, None)


def test_a_360_score_alone_is_a_new_result() -> None:
    cmd = UPHOLD.model_copy(update={"approved_minutes": None, "behaviour_score": 88.5})
    assert decided(cmd).behaviour_score == 88.5


def test_the_decider_rejects() -> None:
    event = decided(REJECT)
    assert (event.outcome, event.approved_minutes, event.behaviour_score) == (
        "rejected", None, None)


def test_an_acting_official_decides_on_a_day_the_appointment_covers() -> None:
    event = decided(subject=PLH, appointments=[COVERING])
    assert (event.decided_by, event.acting_for) == (PLH, BOSS)
    assert code_of(decided, subject=PLH, appointments=[COVERING],
                   today=date(2026, 3, 21)) == ("not_decider", 403)
    assert code_of(decided, subject=PLH, appointments=[COVERING],
                   today=date(2026, 3, 15)) == ("not_decider", 403)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"subject": HEAD}, ("not_decider", 403)),              # the rater is not the decider
    ({"subject": STAFF}, ("not_decider", 403)),
    ({"objection": None}, ("unknown_objection", 404)),
    ({"objection": ObjectionFacts(STAFF, PERIOD, BOSS, decided=True)},
     ("objection_decided", 409)),
    ({"cmd": UPHOLD.model_copy(update={"approved_minutes": None})},
     ("new_result_required", 422)),
    ({"cmd": REJECT.model_copy(update={"approved_minutes": 5400})},
     ("new_result_not_allowed", 422)),
    ({"cmd": REJECT.model_copy(update={"behaviour_score": 70.0})},
     ("new_result_not_allowed", 422)),
    ({"role": "employee"}, ("role_not_allowed", 403)),
    ({"role": "admin"}, ("role_not_allowed", 403)),
])
def test_decision_refusals(kwargs: dict[str, Any], expected: tuple[str, int]) -> None:
    assert code_of(decided, **kwargs) == expected


def test_a_decided_objection_is_not_revealed_to_others() -> None:
    done = ObjectionFacts(STAFF, PERIOD, BOSS, decided=True)
    assert code_of(decided, subject=HEAD, objection=done) == ("not_decider", 403)


def refusal(call: Any, *args: Any, **kwargs: Any) -> tuple[str, int, str | None, str]:
    with pytest.raises(Rejected) as refused:
        call(*args, **kwargs)
    error = refused.value
    return error.code, error.status, error.field, error.message


def test_filing_refusals_word_for_word() -> None:
    """People read these (the API's ``message``): written out by hand."""
    assert refusal(filed, DEADLINE, employee=None) == (
        "unknown_employee", 404, None, "no employee with the token's NIP")
    assert refusal(filed, DEADLINE, final=False) == (
        "result_not_final", 409, "period",
        "period: the result of 2026-02 is not final yet (its close is not recorded)")
    assert refusal(filed, date(2026, 3, 25)) == (
        "objection_window_expired", 409, "period",
        "period: objections to 2026-02 were possible until 2026-03-24")
    assert refusal(filed, DEADLINE, existing=PENDING) == (
        "already_objected", 409, "period", "period: an objection to 2026-02 is already filed")
    assert refusal(filed, DEADLINE, line=(HEAD, None)) == (
        "no_decider", 422, "period", "period: nobody can decide an objection to 2026-02 (no "
        "rater, or the rater has no superior, on the month's last day)")
    assert refusal(filed, DEADLINE, Principal(STAFF, "admin"))[:3] == (
        "role_not_allowed", 403, None)


def test_decision_refusals_word_for_word() -> None:
    assert refusal(decided, objection=None) == (
        "unknown_objection", 404, "period", "no objection of this employee to 2026-02")
    assert refusal(decided, subject=HEAD) == (
        "not_decider", 403, None, "only the rater's superior (or who acts in their place "
        "today) decides this objection")
    assert refusal(decided, objection=ObjectionFacts(STAFF, PERIOD, BOSS, decided=True)) == (
        "objection_decided", 409, None,
        "this objection is decided already; the decision is final")
    assert refusal(decided, UPHOLD.model_copy(update={"approved_minutes": None})) == (
        "new_result_required", 422, "approved_minutes", "approved_minutes: an upheld "
        "objection gives the new result (approved_minutes, behaviour_score or both)")
    assert refusal(decided, REJECT.model_copy(update={"approved_minutes": 1})) == (
        "new_result_not_allowed", 422, "approved_minutes", "approved_minutes: a rejected "
        "objection keeps the result; send no new figures")


def test_both_figures_of_an_upheld_decision_are_kept() -> None:
    cmd = UPHOLD.model_copy(update={"behaviour_score": 70.5})
    event = decided(cmd)
    assert (event.approved_minutes, event.behaviour_score) == (5400, 70.5)
    rejected = decided(REJECT, subject=PLH, appointments=[COVERING])
    assert (rejected.outcome, rejected.reason, rejected.decided_by, rejected.acting_for,
            rejected.decided_on) == ("rejected", "Tidak", PLH, BOSS, TODAY)


UPHOLD_2022 = c.DecideObjection(nip=STAFF, period=PERIOD, outcome="upheld", reason="Terbukti",
                                results_rating="as_expected")


def decided_2022(cmd: c.DecideObjection) -> Any:
    return decide_objection(cmd, Principal(BOSS, "superior"), PENDING, [], TODAY, "2022")


def test_under_2022_the_decider_upholds_with_ratings() -> None:
    event = decided_2022(UPHOLD_2022)
    assert (event.results_rating, event.behaviour_rating, event.approved_minutes,
            event.behaviour_score) == ("as_expected", None, None, None)
    both = decided_2022(UPHOLD_2022.model_copy(update={"behaviour_rating": "above"}))
    assert (both.results_rating, both.behaviour_rating) == ("as_expected", "above")
    assert decided_2022(REJECT).results_rating is None


@pytest.mark.parametrize(("cmd", "regime", "expected"), [
    # the other regime's fields are refused, whatever the outcome
    (UPHOLD_2022.model_copy(update={"approved_minutes": 5400}), "2022",
     ("result_of_other_regime", 422, "approved_minutes",
      "approved_minutes: the month is under the 2022 regime; its new result is "
      "results_rating and/or behaviour_rating")),
    (REJECT.model_copy(update={"behaviour_score": 70.0}), "2022",
     ("result_of_other_regime", 422, "behaviour_score",
      "behaviour_score: the month is under the 2022 regime; its new result is "
      "results_rating and/or behaviour_rating")),
    (UPHOLD.model_copy(update={"behaviour_rating": "above"}), "2013",
     ("result_of_other_regime", 422, "behaviour_rating",
      "behaviour_rating: the month is under the 2013 regime; its new result is "
      "approved_minutes and/or behaviour_score")),
    (UPHOLD_2022.model_copy(update={"results_rating": None}), "2022",
     ("new_result_required", 422, "results_rating", "results_rating: an upheld objection "
      "gives the new result (results_rating, behaviour_rating or both)")),
    (REJECT.model_copy(update={"behaviour_rating": "below"}), "2022",
     ("new_result_not_allowed", 422, "results_rating", "results_rating: a rejected "
      "objection keeps the result; send no new figures")),
])
def test_the_new_result_belongs_to_the_months_regime(
        cmd: c.DecideObjection, regime: Any, expected: tuple[str, int, str, str]) -> None:
    assert refusal(decide_objection, cmd, Principal(BOSS, "superior"), PENDING, [], TODAY,
                   regime) == expected
