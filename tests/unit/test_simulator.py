"""The simulator's generator: seeded, valid NIPs, a sound hierarchy, realistic proportions."""

import csv
import io
import random
import uuid
from collections import Counter
from datetime import date

import pytest

from services.intake.domain.nip import parse_nip
from services.simulator.domain.org import build_organisation, roster_chunks
from services.simulator.domain.traffic import (
    Decision,
    Profile,
    Report,
    Revision,
    _uuid,
    plan_day,
    plan_days,
    plan_live_day,
    plan_reviews,
    working_days,
)
from services.simulator.service_layer.driver import person_role

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 28)
DAYS = working_days(date(2026, 11, 2), date(2026, 11, 27))
INDICATORS = [("integritas", False), ("kepemimpinan", True), ("pelayanan", False)]


def test_same_seed_same_org_and_traffic() -> None:
    a, b = build_organisation(500, seed=3), build_organisation(500, seed=3)
    assert a.employees == b.employees and a.units == b.units
    assert list(plan_days(a, DAYS[:3], 3)) == list(plan_days(b, DAYS[:3], 3))
    assert plan_reviews(a, "2026-11", 3, INDICATORS) == plan_reviews(b, "2026-11", 3, INDICATORS)
    assert build_organisation(500, seed=4).employees != a.employees
    assert list(plan_days(a, DAYS[:1], 4)) != list(plan_days(a, DAYS[:1], 3))


def test_nips_are_valid_and_unique() -> None:
    org = build_organisation(3000, seed=1)
    nips = [e.nip for e in org.employees]
    assert len(set(nips)) == len(nips) == 3000
    for nip in nips:
        parse_nip(nip, today=TODAY)


def test_hierarchy_one_head_per_unit_no_cycles() -> None:
    org = build_organisation(1000, seed=2)
    tops = [e for e in org.employees if e.superior_nip is None]
    assert len(tops) == 1 and tops[0].structural
    for unit in org.units:
        people = [e for e in org.employees if e.unit == unit.code]
        heads = [e for e in people if e.superior_nip is None
                 or org.get(e.superior_nip).unit != unit.code]
        assert len(heads) == 1 and heads[0].structural, unit
    for e in org.employees:
        seen, boss = {e.nip}, e.superior_nip
        while boss is not None:
            assert boss not in seen, "cycle"
            seen.add(boss)
            assert org.get(boss).structural, "only structural officials have subordinates"
            boss = org.get(boss).superior_nip


def test_roster_csv_puts_superiors_first() -> None:
    org = build_organisation(200, seed=5)
    chunks = list(roster_chunks(org, date(2025, 1, 1), max_rows=60))
    assert len(chunks) == 4
    seen: set[str] = set()
    for chunk in chunks:
        rows = list(csv.DictReader(io.StringIO(chunk)))
        assert len(rows) <= 60
        for row in rows:
            assert not row["superior_nip"] or row["superior_nip"] in seen
            seen.add(row["nip"])
    assert len(seen) == 200


def test_employment_mix_and_proportions() -> None:
    org = build_organisation(5000, seed=1)
    types = Counter(e.employment_type for e in org.employees)
    assert 0.68 < types["PNS"] / 5000 < 0.82 and 0.15 < types["PPPK"] / 5000 < 0.25
    assert 0.02 < types["CPNS"] / 5000 < 0.08
    staff = [e for e in org.employees if not e.structural]
    assert 0.05 < (5000 - len(staff)) / 5000 < 0.15  # structural officials

    profile = Profile()
    day = plan_day(org, DAYS[0], seed=1, profile=profile)
    per_person = Counter(r.nip for r in day.reports)
    assert 5 < len(day.reports) / len(per_person) < 8  # ~6 activities a working day
    assert 0.9 < len(per_person) / 5000 < 0.99  # a few absent
    minutes = Counter()
    for r in day.reports:
        minutes[r.nip] += r.minutes
    assert max(minutes.values()) <= 720  # the policy's plausible day total
    assert 250 < sum(minutes.values()) / len(minutes) < 400
    decisions = Counter(d.decision for d in day.decisions)
    decided = len(day.reports) - sum(1 for r in day.reports if org.get(r.nip).superior_nip is None)
    assert abs(decisions["approved"] / decided - profile.approve) < 0.02
    assert abs(decisions["rejected"] / decided - profile.reject) < 0.01
    assert abs(decisions["revision_requested"] / decided - profile.revise) < 0.01
    assert len(day.follow_ups) == decisions["revision_requested"]
    sent_back = {d.activity_id for d in day.decisions if d.decision == "revision_requested"}
    assert {r.activity_id for r in day.follow_ups} == sent_back
    reports = {r.activity_id: r for r in day.reports}
    for revision in day.follow_ups:  # amended by the owner, a little shorter
        report = reports[revision.activity_id]
        assert revision.owner_nip == report.nip and 1 <= revision.minutes < report.minutes
    esamsat = [r for r in day.reports if r.channel == "esamsat"]
    assert esamsat and all(r.external_ref and org.get(r.nip).counter for r in esamsat)
    assert len({r.external_ref for r in esamsat}) == len(esamsat)
    for d in day.decisions:
        assert org.get(d.owner_nip).superior_nip == d.superior_nip


def test_decisions_come_after_their_activity() -> None:
    org = build_organisation(100, seed=1)
    for actions in (list(plan_days(org, DAYS[:4], 1)), list(plan_live_day(org, DAYS[0], 1))):
        reported: set[str] = set()
        decided: set[str] = set()
        revised: set[str] = set()
        for action in actions:
            if isinstance(action, Report):
                reported.add(action.activity_id)
            elif isinstance(action, Decision):
                assert action.activity_id in reported
                decided.add(action.activity_id)
            elif isinstance(action, Revision):
                assert action.activity_id in decided  # amended after the revision request
                assert action.approval.activity_id == action.activity_id
                assert action.approval.note == "Sudah diperbaiki"
                revised.add(action.activity_id)
        assert revised, "no revision in the traffic"


def test_reviews_follow_the_reporting_lines() -> None:
    org = build_organisation(300, seed=1)
    reviews = plan_reviews(org, "2026-11", 1, INDICATORS)
    relations = Counter()
    for r in reviews:
        rater, ratee = org.get(r.rater_nip), org.get(r.ratee_nip)
        assert rater.nip != ratee.nip
        if ratee.superior_nip == rater.nip:
            relations["superior"] += 1
        elif rater.superior_nip == ratee.nip:
            relations["subordinate"] += 1
        else:
            assert rater.superior_nip == ratee.superior_nip
            relations["peer"] += 1
        expected = {"integritas", "pelayanan"} | ({"kepemimpinan"} if ratee.structural else set())
        assert set(r.scores) == expected and all(0 <= s <= 100 for s in r.scores.values())
    assert relations["superior"] > 0.9 * 299 and relations["peer"] and relations["subordinate"]


def test_deciders_and_raters_of_subordinates_act_in_the_superior_role() -> None:
    """Validating and rating a direct subordinate take the superior role (issue 8): every
    decider and every such rater the traffic plans gets a superior token."""
    org = build_organisation(300, seed=1)
    deciders = {a.superior_nip for a in plan_days(org, DAYS[:3], 1) if isinstance(a, Decision)}
    assert deciders and {person_role(org, nip) for nip in deciders} == {"superior"}
    reviews = plan_reviews(org, "2026-11", 1, INDICATORS)
    rating_subordinates = {r.rater_nip for r in reviews
                           if org.get(r.ratee_nip).superior_nip == r.rater_nip}
    assert rating_subordinates
    assert {person_role(org, nip) for nip in rating_subordinates} == {"superior"}
    staff = [e.nip for e in org.employees if not e.structural and not org.subordinates(e.nip)]
    assert staff and {person_role(org, nip) for nip in staff} == {"employee"}


def test_planned_activity_ids_are_the_uuid4s_the_seed_gives() -> None:
    ours, reference = random.Random(3), random.Random(3)
    for _ in range(2_000):
        assert _uuid(ours) == str(uuid.UUID(int=reference.getrandbits(128), version=4))
