from collections.abc import Mapping
from fractions import Fraction

import pytest

from services.appraisal.domain.scoring import (
    Behaviour,
    Eligibility,
    IndicatorMean,
    Rating,
    behaviour,
    eligibility,
)
from shared.events import EmploymentType, Relation
from shared.policy import Policy, default_policy_path, load_policy

pytestmark = pytest.mark.unit

POLICY = load_policy(default_policy_path())
ASPECTS = ("integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama")


def rate(nip: str, relation: Relation, score: int, **overrides: int) -> Rating:
    scores: Mapping[str, int] = {**dict.fromkeys(ASPECTS, score), **overrides}
    return Rating(rater_nip=nip, relation=relation, scores=scores)


def team(superior: int, peers: list[int], subordinates: list[int]) -> list[Rating]:
    ratings = [rate("s", "superior", superior)]
    ratings += [rate(f"p{i}", "peer", score) for i, score in enumerate(peers)]
    ratings += [rate(f"b{i}", "subordinate", score) for i, score in enumerate(subordinates)]
    return ratings


def rated(ratings: list[Rating], structural: bool = False) -> Behaviour:
    result = behaviour(ratings, POLICY, structural)
    assert result is not None
    return result


def eligible(
    approved: int,
    found: Behaviour | None = None,
    *,
    reported: int = 10,
    employment: EmploymentType = "PNS",
    final: bool = False,
    policy: Policy = POLICY,
) -> Eligibility:
    return eligibility(
        nip="196804111993031009",
        period="2026-01",
        approved_minutes=approved,
        reported_activities=reported,
        behaviour=found,
        employment_type=employment,
        policy=policy,
        final=final,
    )


def test_no_ratings_or_nothing_applicable_gives_none() -> None:
    assert behaviour([], POLICY, structural=False) is None
    only_leadership = Rating("s", "superior", {"kepemimpinan": 90})
    assert behaviour([only_leadership], POLICY, structural=False) is None


def test_superior_only_uses_70_30() -> None:
    found = rated([rate("s", "superior", 80)])
    assert (found.score, found.category, found.has_peer_or_subordinate_input) == (80, "Baik", False)
    row = eligible(5120, found)
    # 0.7 x 85.333 + 0.3 x 80 = 83.733
    assert (row.results_pct, row.behaviour_score, row.score) == (85.3, 80.0, 83.7)
    assert row.reasons == (
        "approved 5,120 of 6,000 minutes (85.3%)",
        "360 score 80.0 (Baik) from 1 superior",
        "weights 70/30 (results/behaviour) because only the superior rated",
        "score 83.7",
        "category Baik -> allowance 100%",
        "provisional: the period is open",
    )
    assert (row.category, row.allowance_pct, row.state) == ("Baik", 100.0, "provisional")


def test_all_relations_use_60_40_and_the_relation_weights() -> None:
    found = rated(team(80, [90, 90, 90, 90], [70, 70, 70]))
    # 0.5 x 80 + 0.25 x 90 + 0.25 x 70 = 80.0
    assert found.score == 80.0
    assert found.raters == {"superior": 1, "peer": 4, "subordinate": 3}
    row = eligible(5120, found, final=True)
    # 0.6 x 85.333 + 0.4 x 80 = 83.2
    assert row.score == 83.2
    assert row.state == "final"
    assert row.reasons == (
        "approved 5,120 of 6,000 minutes (85.3%)",
        "360 score 80.0 (Baik) from 1 superior, 4 peers, 3 subordinates",
        "weights 60/40 (results/behaviour) because peers or subordinates rated",
        "score 83.2",
        "category Baik -> allowance 100%",
        "final: the period is closed",
    )


def test_relation_weights_are_renormalised_over_relations_that_rated() -> None:
    # superior 50 and subordinate 25 -> 2/3 x 80 + 1/3 x 60 = 73.33
    found = rated(team(80, [], [60, 60, 60]))
    assert (found.score, found.category) == (73.3, "Cukup")
    assert found.exact_score == Fraction(220, 3)  # exactly 73 1/3


def test_peers_below_min_raters_are_hidden_but_counted() -> None:
    found = rated(team(80, [100, 90], []))
    # 2/3 x 80 + 1/3 x 95 = 85.0
    assert found.score == 85.0
    assert found.raters == {"superior": 1, "peer": 2}
    assert set(found.visible_detail) == {"superior"}
    assert found.has_peer_or_subordinate_input
    assert eligible(6000, found).reasons[2].startswith("weights 60/40")


def test_visible_detail_has_per_indicator_means_and_counts() -> None:
    peers = [
        Rating("p1", "peer", {"integritas": 80, "disiplin": 60}),
        Rating("p2", "peer", {"integritas": 100}),
        Rating("p3", "peer", {"integritas": 91, "unknown": 5}),
    ]
    found = rated([Rating("s", "superior", {"integritas": 90}), *peers])
    peer = found.visible_detail["peer"]
    assert peer.raters == 3
    assert peer.indicators == {
        "integritas": IndicatorMean(mean=90.3, raters=3),
        "disiplin": IndicatorMean(mean=60.0, raters=1),
    }
    # peer mean = (90.333 + 60) / 2 = 75.167; score = 2/3 x 90 + 1/3 x 75.167 = 85.06
    assert (peer.mean, found.score) == (75.2, 85.1)


def test_leadership_ignored_for_non_structural_counted_for_structural() -> None:
    ratings = [rate("s", "superior", 80, kepemimpinan=20)]
    assert rated(ratings, structural=False).score == 80.0
    # (20 + 5 x 80) / 6 = 70.0
    assert rated(ratings, structural=True).score == 70.0


def test_a_later_rating_by_the_same_rater_replaces_the_earlier() -> None:
    assert rated([rate("s", "superior", 50), rate("s", "superior", 90)]).score == 90.0


def test_cpns_gets_the_employment_factor() -> None:
    row = eligible(4200, employment="CPNS")
    assert (row.score, row.category, row.allowance_pct) == (70.0, "Cukup", 72.0)
    assert row.behaviour_score is None
    assert row.reasons == (
        "approved 4,200 of 6,000 minutes (70.0%)",
        "no 360 ratings: score from results alone",
        "score 70.0",
        "category Cukup -> allowance 90%",
        "CPNS: 80% of the allowance",
        "provisional: the period is open",
    )


def test_no_report_pays_the_no_report_percentage() -> None:
    row = eligible(0, reported=0)
    assert (row.category, row.allowance_pct) == ("Buruk", 65.0)
    assert "no activity reported in the month -> allowance 65%" in row.reasons
    assert eligible(0, reported=0, employment="CPNS").allowance_pct == 52.0


def test_results_are_capped_at_the_policy_cap() -> None:
    row = eligible(6500)
    assert (row.results_pct, row.score, row.category) == (100.0, 100.0, "Sangat Baik")
    assert row.reasons[0] == "approved 6,500 of 6,000 minutes (108.3%, capped at 100%)"


def test_rounding_is_half_up_and_category_follows_the_rounded_score() -> None:
    assert eligible(5115).results_pct == 85.3  # 85.25 exactly
    row = eligible(5457)  # 90.95 exactly -> 91.0
    assert (row.score, row.category) == (91.0, "Sangat Baik")


def test_row_names_the_policy_and_figures() -> None:
    row = eligible(3000)
    assert (row.policy_version, row.target_minutes, row.approved_minutes) == (
        "erk-default-2026.1",
        6000,
        3000,
    )
    assert (row.nip, row.period) == ("196804111993031009", "2026-01")


def test_subordinates_alone_switch_to_60_40() -> None:
    found = rated([rate(f"b{i}", "subordinate", 70) for i in range(3)])
    assert (found.score, found.raters, found.has_peer_or_subordinate_input) == (
        70.0, {"subordinate": 3}, True)
    row = eligible(6000, found)
    # 0.6 x 100 + 0.4 x 70 = 88.0 (70/30 would give 91.0, Sangat Baik)
    assert (row.score, row.category) == (88.0, "Baik")
    assert row.reasons[2] == (
        "weights 60/40 (results/behaviour) because peers or subordinates rated")


def test_a_fractional_percentage_is_written_with_its_decimal() -> None:
    row = eligible(6000, policy=POLICY.model_copy(update={"performance_cap_pct": 72.5}))
    assert row.reasons[0] == "approved 6,000 of 6,000 minutes (100.0%, capped at 72.5%)"
    assert row.results_pct == 72.5


def test_an_exact_half_is_rounded_up_even_when_the_means_repeat() -> None:
    """Found by the property tests: three raters give means in thirds, and fixed-precision
    decimals turned an exact 79.75 into 79.7499...9, shown as 79.7."""
    aspects = ("integritas", "pelayanan", "komitmen", "disiplin", "kerja_sama")

    def by(nip: str, relation: Relation, *scores: int) -> Rating:
        return Rating(nip, relation, dict(zip(aspects, scores, strict=True)))

    found = rated([
        by("s", "superior", 67, 73, 96, 84, 73),
        by("p1", "peer", 78, 66, 61, 67, 96), by("p2", "peer", 60, 94, 78, 68, 64),
        by("p3", "peer", 92, 83, 96, 79, 87),
        by("b1", "subordinate", 92, 82, 93, 80, 60), by("b2", "subordinate", 67, 88, 88, 82, 79),
        by("b3", "subordinate", 94, 85, 81, 96, 91)])
    # superior 393 / 5 = 78.6; peers 1169 / 15; subordinates 1258 / 15:
    # 0.5 x 78.6 + 0.25 x (1169 + 1258) / 15 = 39.3 + 40.45 = 79.75 exactly
    assert found.exact_score == Fraction(319, 4)
    assert found.score == 79.8
