"""The distribution-check projection's pure rule: one row per recorded check, keyed by its
own position (a broadcast arrives on every partition: the same row each time), with the
position it reflected and what the close did."""

from services.appraisal.projections import REGISTRY
from services.appraisal.projections.distribution_checks import DistributionChecks
from services.appraisal.service_layer.projecting import apply_events
from shared.codec import decode_payload
from shared.events import CheckedUnit, CurveBreach, DistributionChecked
from tests.support.history import History

UPT = CheckedUnit(unit="BAPENDA-UPT1", organisational_predicate="Butuh Perbaikan",
                  checked=True, policy_version="erk-2022", staff={"Baik": 3},
                  breaches=[CurveBreach(predicates=["Butuh Perbaikan"], bound="at_least",
                                        limit_pct=60, count=0, limit_people=2, by=2)],
                  outcome="blocked")


def test_each_check_is_a_row_and_a_broadcast_one_row() -> None:
    history, ws = History(), REGISTRY.start([])
    refused = history.add(DistributionChecked(
        period="2026-03", position=40, outcome="blocked", close_action="refused",
        units=[UPT]), "BROADCAST", "distribution-2026-03")
    closed = history.add(DistributionChecked(
        period="2026-03", position=44, outcome="passed", close_action="closed",
        units=[UPT.model_copy(update={"breaches": [], "outcome": "passed"})]),
        "BROADCAST", "distribution-2026-03")
    apply_events(ws, REGISTRY, [(e, decode_payload(e), p)
                                for e in (refused, closed) for p in (0, 1, 2)])
    rows = ws.working(DistributionChecks).rows
    assert [(r["position"], r["reflects_position"], r["outcome"], r["close_action"])
            for r in rows.values()] == [
        (refused.position, 40, "blocked", "refused"), (closed.position, 44, "passed", "closed")]
    assert rows[("2026-03", refused.position)]["units"] == [UPT.model_dump(mode="json")]
