"""Hypothesis strategies: valid NIPs, command bodies of every command type (as JSON, the way
clients send them) and their type-confused variants, events and envelopes, and whole
synthetic histories built step by step.

Valid bodies pass the commands' shape checks; whether a rule accepts them is for the test
to decide. Type-confused variants come from ``tests.type_confusion`` (one field of a valid
body replaced by a value of the wrong JSON type, or an unknown field added).
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from services.intake.domain import commands as c
from shared.envelope import EventEnvelope
from shared.events import (
    ActivityReported,
    BehaviourReview,
    EmployeeRegistered,
    EmployeeTransferred,
    Event,
    ObjectionDecided,
    ObjectionFiled,
    PeriodClosed,
    ReportingLineChanged,
    ReviewSubmitted,
    ValidationReview,
)
from shared.policy import default_policy_path, load_policy
from tests.support.history import History, nip
from tests.type_confusion import Case, cases

POLICY = load_policy(default_policy_path())
INDICATORS = [i.name for i in POLICY.indicators]
TODAY = date(2026, 3, 18)

# Human text as the commands take it: no control characters, no lone surrogates.
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=40)
texts = text.filter(bool)
periods = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2020, 2030),
                    st.integers(1, 12))
days = st.dates(date(2025, 1, 1), date(2027, 12, 31))
uuids = st.uuids().map(str)


@st.composite
def nips(draw: st.DrawFn, today: date = TODAY) -> str:
    """A NIP that ``parse_nip`` accepts on ``today``: born 1960..1999, appointed 18..40 years
    later (never after this year), gender 1 or 2, sequence 001..999."""
    birth = draw(st.dates(date(1960, 1, 1), date(1999, 12, 31)))
    year = draw(st.integers(birth.year + 18, min(birth.year + 40, today.year)))
    month = draw(st.integers(1, 12))
    gender = draw(st.sampled_from("12"))
    sequence = draw(st.integers(1, 999))
    return f"{birth:%Y%m%d}{year:04d}{month:02d}{gender}{sequence:03d}"


def bodies(today: date = TODAY) -> dict[type[c.Command], st.SearchStrategy[dict[str, Any]]]:
    """A strategy of valid JSON bodies per command type."""
    scores = st.dictionaries(st.sampled_from(INDICATORS), st.integers(0, 100), min_size=1)
    return {
        c.RegisterEmployee: st.fixed_dictionaries({
            "nip": nips(today), "name": texts, "unit": texts, "position": texts}, optional={
            "structural": st.booleans(), "employment_type": st.sampled_from(["PNS", "PPPK",
                                                                             "CPNS"]),
            "job_class": st.integers(1, 17)}),
        c.ChangeReportingLine: st.fixed_dictionaries({
            "nip": nips(today), "superior_nip": st.none() | nips(today),
            "effective_from": days.map(str)}),
        c.ReportActivity: st.fixed_dictionaries({
            "activity_id": uuids, "nip": nips(today), "work_date": days.map(str),
            "minutes": st.integers(1, 1440), "description": texts}, optional={
            "output": st.none() | text, "external_ref": st.none() | texts}),
        c.DecideActivity: st.fixed_dictionaries({
            "activity_id": uuids,
            "decision": st.sampled_from(["approved", "rejected", "revision_requested"])},
            optional={"note": st.none() | text}),
        c.SubmitBehaviourReview: st.fixed_dictionaries({
            "period": periods, "ratee_nip": nips(today), "scores": scores},
            optional={"comment": st.none() | text}),
        c.ClosePeriod: st.fixed_dictionaries({"period": periods}),
        c.AppointActingSuperior: st.fixed_dictionaries({
            "head_nip": nips(today), "acting_nip": nips(today),
            "kind": st.sampled_from(["Plt", "Plh"]), "valid_from": days.map(str),
            "valid_to": days.map(str)}),
        c.TransferEmployee: st.fixed_dictionaries({
            "nip": nips(today), "unit": texts, "superior_nip": st.none() | nips(today),
            "effective_from": days.map(str)}),
        c.FileObjection: st.fixed_dictionaries({"period": periods, "reasons": texts}),
        c.DecideObjection: st.fixed_dictionaries({
            "nip": nips(today), "period": periods,
            "outcome": st.sampled_from(["upheld", "rejected"]), "reason": texts}, optional={
            "approved_minutes": st.none() | st.integers(0, 44640),
            "behaviour_score": st.none() | st.floats(0, 100)}),
    }


def confused(model: type[BaseModel], body: dict[str, Any]) -> list[Case]:
    """Every type-confused variant of a valid ``body`` of ``model``."""
    schema = model.model_json_schema()
    return list(cases(schema, body, schema))


def events(today: date = TODAY) -> st.SearchStrategy[Event]:
    """Any event of the types a history holds (policies aside)."""
    nip = nips(today)
    return st.one_of(
        st.builds(EmployeeRegistered, nip=nip, name=texts, unit=texts, position=texts,
                  structural=st.booleans(),
                  employment_type=st.sampled_from(["PNS", "PPPK", "CPNS"]),
                  job_class=st.integers(1, 17)),
        st.builds(ReportingLineChanged, nip=nip, superior_nip=st.none() | nip,
                  effective_from=days),
        st.builds(ActivityReported, activity_id=st.uuids(), nip=nip, work_date=days,
                  minutes=st.integers(1, 1440), description=texts, output=st.none() | text,
                  source=st.sampled_from(["app", "esamsat"]),
                  external_ref=st.none() | texts),
        st.builds(ReviewSubmitted, review=st.builds(
            ValidationReview, activity_id=st.uuids(), owner_nip=nip, reviewer_nip=nip,
            decision=st.sampled_from(["approved", "rejected", "revision_requested"]),
            note=st.none() | text)),
        st.builds(ReviewSubmitted, review=st.builds(
            BehaviourReview, period=periods, rater_nip=nip, ratee_nip=nip,
            relation=st.sampled_from(["superior", "peer", "subordinate"]),
            scores=st.dictionaries(st.sampled_from(INDICATORS), st.integers(0, 100)),
            comment=st.none() | text)),
        st.builds(PeriodClosed, period=periods),
        st.builds(EmployeeTransferred, nip=nip, unit=texts, superior_nip=st.none() | nip,
                  effective_from=days),
        st.builds(ObjectionFiled, nip=nip, period=periods, reasons=texts, rater_nip=nip,
                  decider_nip=nip, filed_on=days, deadline=days),
        st.builds(ObjectionDecided, nip=nip, period=periods, decided_by=nip,
                  acting_for=st.none() | nip, outcome=st.sampled_from(["upheld", "rejected"]),
                  reason=texts, decided_on=days,
                  approved_minutes=st.none() | st.integers(0, 44640),
                  behaviour_score=st.none() | st.floats(0, 100)),
    )


@st.composite
def envelopes(draw: st.DrawFn) -> EventEnvelope:
    event = draw(events())
    at = draw(st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)))
    return EventEnvelope(
        event_id=draw(st.uuids()), event_type=event.event_type,
        schema_version=event.schema_version, stream_id=draw(texts),
        stream_version=draw(st.integers(1, 10_000)), position=draw(st.none() | st.integers(1)),
        subject_nip=draw(nips()), occurred_at=at, recorded_at=at + timedelta(milliseconds=3),
        actor=draw(texts), source=draw(st.sampled_from(["app", "admin", "esamsat"])),
        correlation_id=draw(st.uuids()), causation_id=draw(st.none() | st.uuids()),
        payload=event.model_dump(mode="json"))


@st.composite
def histories(draw: st.DrawFn, max_steps: int = 60) -> History:
    """A valid history: a policy, a boss with staff, then steps drawn in any order:
    reports in January and February, decisions (also superseding ones) on reported
    activities, revisions of those sent back (in an open month), superior and peer 360
    reviews, later policies (never for a closed month), late joiners, and each month's
    close at most once, January's first."""
    history = History()
    staff = draw(st.integers(2, 4))
    history.policy()
    history.employee(0, structural=True)
    for i in range(1, staff + 1):
        history.employee(i)
        history.line(i, 0)
    reported: list[tuple[int, uuid.UUID, date]] = []
    sent_back: list[tuple[int, uuid.UUID, date]] = []
    closes = ["2026-01", "2026-02"]
    joiner = 100
    for _ in range(draw(st.integers(1, max_steps))):
        step = draw(st.sampled_from(["report", "report", "decide", "decide", "revise", "review",
                                     "close", "policy", "join"]))
        if step == "report":
            day = draw(st.dates(date(2026, 1, 1), date(2026, 2, 28)))
            who = draw(st.integers(1, staff))
            _, activity_id = history.activity(who, day, draw(st.integers(1, 480)))
            reported.append((who, activity_id, day))
        elif step == "decide" and reported:
            who, activity_id, day = draw(st.sampled_from(reported))
            decision = draw(st.sampled_from(["approved", "rejected", "revision_requested"]))
            history.decision(who, 0, activity_id, decision)
            if decision == "revision_requested":
                sent_back.append((who, activity_id, day))
        elif step == "revise" and sent_back:
            who, activity_id, day = sent_back.pop(draw(st.integers(0, len(sent_back) - 1)))
            if f"{day:%Y-%m}" in closes:  # its month still open, as intake demands
                history.revision(who, activity_id, day, draw(st.integers(1, 480)))
        elif step == "review":
            ratee = draw(st.integers(1, staff))
            rater = draw(st.sampled_from([r for r in range(staff + 1) if r != ratee]))
            history.add(ReviewSubmitted(review=BehaviourReview(
                period=draw(st.sampled_from(["2026-01", "2026-02"])), rater_nip=nip(rater),
                ratee_nip=nip(ratee), relation="superior" if rater == 0 else "peer",
                scores={name: draw(st.integers(0, 100)) for name in INDICATORS
                        if name != "kepemimpinan"})), nip(ratee), f"review-{ratee}-{rater}")
        elif step == "close" and closes:
            history.close(closes.pop(0))
        elif step == "policy":  # never reaching back into a closed month, as intake refuses
            history.policy(f"2026.{history.position}", draw(st.sampled_from(
                ["2026-01", "2026-02", "2026-03"][2 - len(closes):])))
        elif step == "join":
            history.employee(joiner)
            joiner += 1
    return history
