"""Properties of scoring, bands, the codec and the commands, over generated inputs
(hypothesis; few examples, derandomized: see tests/conftest.py)."""

import json
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from services.appraisal.domain.scoring import Rating, behaviour, eligibility
from services.intake.domain import commands as c
from services.intake.domain import rules
from services.intake.domain.errors import Rejected
from services.intake.domain.rules import ActivityFacts, EmployeeFacts
from shared import codec
from shared.auth import Principal
from shared.codec import decode_envelope, decode_payload, encode
from shared.envelope import EventEnvelope
from shared.events import ActivityReported, Relation
from shared.policy import RELATIONS, Band, Policy
from tests.support import strategies as s

POLICY = s.POLICY
ASPECTS = [i.name for i in POLICY.indicators_for(structural=False)]
scores = st.integers(0, 100)
weights = st.floats(0.5, 100, allow_nan=False)


def ratings(relation: Relation, values: list[int]) -> list[Rating]:
    return [Rating(f"{relation}-{i}", relation, dict.fromkeys(ASPECTS, v))
            for i, v in enumerate(values)]


def row(approved: int, found: Any, policy: Policy = POLICY) -> Any:
    return eligibility(nip="196804111993031009", period="2026-03", approved_minutes=approved,
                       reported_activities=1, behaviour=found, employment_type="PNS",
                       policy=policy, final=False)


@given(st.integers(0, 9000), st.integers(0, 9000),
       st.none() | st.lists(scores, min_size=1, max_size=4))
def test_more_approved_minutes_never_lower_the_score(a: int, b: int, peers: Any) -> None:
    found = behaviour(ratings("peer", peers), POLICY, False) if peers else None
    low, high = row(min(a, b), found), row(max(a, b), found)
    assert low.score <= high.score
    assert POLICY.allowance_pct_by_category[low.category] <= (
        POLICY.allowance_pct_by_category[high.category])


@given(st.dictionaries(st.sampled_from(RELATIONS), weights, min_size=3, max_size=3),
       st.sets(st.sampled_from(RELATIONS), min_size=1), scores)
def test_relation_weights_renormalise_to_one(relation_weights: dict[Relation, float],
                                             present: set[Relation], score: int) -> None:
    """The same mean in every relation present is the behaviour score, whatever the
    weights: they are rescaled to add up to 1 over the relations that rated."""
    policy = POLICY.model_copy(update={"relation_weights": relation_weights})
    everyone = [r for relation in present for r in ratings(relation, [score, score])]
    found = behaviour(everyone, policy, False)
    assert found is not None
    assert found.exact_score == score


@given(st.lists(scores, min_size=1, max_size=3), st.lists(scores, min_size=1, max_size=3),
       st.lists(scores, min_size=1, max_size=3))
def test_the_behaviour_score_lies_between_the_relation_means(
        superiors: list[int], peers: list[int], subordinates: list[int]) -> None:
    found = behaviour(ratings("superior", superiors) + ratings("peer", peers)
                      + ratings("subordinate", subordinates), POLICY, False)
    assert found is not None
    means = [Fraction(sum(v), len(v)) for v in (superiors, peers, subordinates)]
    assert min(means) <= found.exact_score <= max(means)


@st.composite
def band_lists(draw: st.DrawFn) -> list[Band]:
    cuts = draw(st.lists(st.floats(0.1, 100, allow_nan=False), unique=True, max_size=5))
    floors = [*sorted(cuts, reverse=True), 0.0]
    return [Band(min_score=floor, name=f"band {i}") for i, floor in enumerate(floors)]


@given(band_lists(), st.floats(0, 100, allow_nan=False), st.floats(0, 100, allow_nan=False))
def test_bands_are_total_and_ordered(bands: list[Band], x: float, y: float) -> None:
    policy = POLICY.model_copy(update={"bands": bands})
    names = [b.name for b in bands]
    low, high = sorted((x, y))
    # total: every score 0..100 has a band, the highest whose floor it reaches
    for score in (low, high):
        category = policy.category_for(score)
        floor = bands[names.index(category)].min_score
        assert floor <= score
        assert all(b.min_score > score for b in bands[:names.index(category)])
    # ordered: a higher score never falls into a lower band
    assert names.index(policy.category_for(high)) <= names.index(policy.category_for(low))


@given(s.envelopes())
def test_codec_round_trip(envelope: EventEnvelope) -> None:
    wire = encode(envelope)
    decoded = decode_envelope(wire)
    assert decoded == envelope
    assert encode(decoded) == wire
    assert decode_payload(decoded).model_dump(mode="json") == envelope.payload


@given(s.envelopes().filter(lambda e: e.event_type == "ActivityReported"))
def test_upcast_then_encode_is_stable(envelope: EventEnvelope) -> None:
    def v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "output": payload.get("output") or "(none reported)"}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ActivityReported, "schema_version", 2)
        patch.setitem(codec.UPCASTERS, ("ActivityReported", 1), v1_to_v2)
        upcast = decode_payload(decode_envelope(encode(envelope)))
        assert upcast.output
        current = envelope.model_copy(update={"schema_version": 2,
                                              "payload": upcast.model_dump(mode="json")})
        again = decode_payload(decode_envelope(encode(current)))
        assert again == upcast
        assert encode(current.model_copy(update={"payload": again.model_dump(mode="json")})) \
            == encode(current)


COMMANDS = list(s.bodies())


@pytest.mark.parametrize("model", COMMANDS, ids=lambda m: m.__name__)
@given(data=st.data())
def test_strictness_oracle(model: type[BaseModel], data: st.DataObject) -> None:
    """A valid body is taken alike from JSON (the ingress) and from parsed JSON (HTTP); every
    type-confused variant of it is refused in both, naming its field."""
    body = data.draw(s.bodies()[model])
    from_json = model.model_validate_json(json.dumps(body))
    assert model.model_validate(body) == from_json
    variants = s.confused(model, body)
    assert variants
    case = data.draw(st.sampled_from(variants))
    for parse in (lambda b: model.model_validate_json(json.dumps(b)), model.model_validate):
        with pytest.raises(ValidationError) as info:
            parse(case.body)
        located = [".".join(str(p) for p in e["loc"]) for e in info.value.errors()]
        assert any(loc == case.field or loc.startswith(f"{case.field}.") or not case.field
                   for loc in located), (case.label, located)


STAFF = "199001012015032001"
BOSS = "196804111993031009"


@given(s.bodies()[c.ReportActivity])
def test_report_rule_accepts_exactly_what_its_bounds_allow(body: dict[str, Any]) -> None:
    """The oracle, by hand: own activity, 1..480 minutes, dated from 7 days ago to today."""
    cmd = c.ReportActivity.model_validate({**body, "nip": STAFF})
    in_bounds = 1 <= cmd.minutes <= 480 and 0 <= (s.TODAY - cmd.work_date).days <= 7
    try:
        event = rules.report_activity(cmd, Principal(STAFF, "employee"),
                                      EmployeeFacts(STAFF, "U", False), 0, False, POLICY,
                                      s.TODAY)
    except Rejected as refused:
        assert not in_bounds, refused
        assert refused.field in {"minutes", "work_date"}
        assert 400 <= refused.status < 500
    else:
        assert in_bounds
        assert event.model_dump(exclude={"source"}) == cmd.model_dump()


@given(s.bodies()[c.DecideActivity])
def test_a_decision_records_what_was_decided(body: dict[str, Any]) -> None:
    cmd = c.DecideActivity.model_validate(body)
    facts = ActivityFacts(str(cmd.activity_id), STAFF, s.TODAY, "app")
    review = rules.decide_activity(cmd, Principal(BOSS, "superior"), facts, BOSS, False).review
    assert (review.activity_id, review.decision, review.note, review.owner_nip,
            review.reviewer_nip) == (cmd.activity_id, cmd.decision, cmd.note, STAFF, BOSS)
