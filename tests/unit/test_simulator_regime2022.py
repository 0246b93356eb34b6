"""The demo's 2022 agency: one agency policy governs all its units and none of the 2013
Bapenda's; every led employee gets an SKP from their superior, realisation spread over the
three results ratings."""

from collections import Counter

import pytest

from services.simulator.domain.org import build_organisation
from services.simulator.domain.regime2022 import (
    agency_code,
    build_2022_agency,
    plan_skps,
)
from services.simulator.service_layer.regime2022 import agency_policy
from shared.policy import default_policy_path, for_unit, load_policy

pytestmark = pytest.mark.unit

PERIOD = "2026-12"


def test_agency_of_division_units_under_one_prefix() -> None:
    org = build_2022_agency(13, seed=2026)
    assert agency_code(org) == "BAPENDA-BANTEN"
    assert len(org.employees) == 13
    assert [u.code for u in org.units] == ["BAPENDA-BANTEN", "BAPENDA-BANTEN-SEKRETARIAT",
                                           "BAPENDA-BANTEN-PAJAK"]
    assert not any(u.samsat for u in org.units)
    assert not any(e.counter for e in org.employees)


def test_smallest_agency_still_has_two_divisions() -> None:
    assert len(build_2022_agency(5, seed=1).units) == 3
    with pytest.raises(ValueError, match="at least 5"):
        build_2022_agency(4, seed=1)


def test_refuses_a_nip_of_the_other_agency() -> None:
    org = build_2022_agency(13, seed=2026)
    with pytest.raises(ValueError, match="1 NIP"):
        build_2022_agency(13, seed=2026, taken=frozenset({org.employees[3].nip}))
    other = build_organisation(40, seed=2026)
    assert build_2022_agency(13, 2026, frozenset(e.nip for e in other.employees)) == org


def test_every_led_employee_gets_an_skp_from_their_superior() -> None:
    org = build_2022_agency(13, seed=2026)
    plans = plan_skps(org, PERIOD, seed=2026)
    assert len(plans) == 12  # everyone but the head of the agency
    for plan in plans:
        assert plan.superior_nip == org.get(plan.nip).superior_nip
        assert plan.period == PERIOD
    assert len({p.realisation_id for p in plans}) == 12
    # 12 = 4 of each: below (16/20 = 80 %), as (100 %), above (115 %) expectation
    assert Counter(p.realised for p in plans) == {16: 4, 20: 4, 23: 4}


def test_same_seed_same_plan_other_seed_other_order() -> None:
    org = build_2022_agency(13, seed=2026)
    assert plan_skps(org, PERIOD, 2026) == plan_skps(org, PERIOD, 2026)
    assert plan_skps(org, PERIOD, 7) != plan_skps(org, PERIOD, 2026)
    assert plan_skps(org, "2027-01", 2026) != plan_skps(org, PERIOD, 2026)


def test_request_bodies() -> None:
    plan = plan_skps(build_2022_agency(13, seed=2026), PERIOD, seed=2026)[0]
    assert plan.skp_body() == {
        "nip": plan.nip, "period": PERIOD,
        "results": [{"rhk_id": "rhk-1", "kind": "main",
                     "description": "Meningkatnya pelayanan pendapatan daerah",
                     "indicators": [{"indicator_id": "dokumen", "aspect": "quantity",
                                     "description": "Dokumen pendapatan daerah yang "
                                                    "diselesaikan",
                                     "target": 20, "unit": "dokumen"}]}]}
    assert plan.realisation_body() == {
        "realisation_id": plan.realisation_id, "period": PERIOD, "rhk_id": "rhk-1",
        "indicator_id": "dokumen", "value": plan.realised,
        "evidence": "laporan-bulanan-2026-12"}
    assert plan.decision_body() == {"nip": plan.nip, "period": PERIOD,
                                    "realisation_id": plan.realisation_id,
                                    "decision": "approved", "note": "Sesuai bukti"}
    assert plan.rating_body() == {"nip": plan.nip, "period": PERIOD}


def test_agency_policy_governs_the_2022_agency_only() -> None:
    base = load_policy(default_policy_path().with_name("erk-permenpanrb-2022-2026.1.yaml"))
    national = load_policy(default_policy_path())
    org = build_2022_agency(13, seed=2026)
    policy = agency_policy(base, org, PERIOD)
    assert (policy.version, policy.effective_from, policy.agencies, policy.regime) == (
        "demo-bapenda-banten-2026-12", PERIOD, ["BAPENDA-BANTEN"], "2022")
    for unit in org.units:
        assert for_unit([national, policy], unit.code, lambda p: p) == [policy]
    for unit in ("BAPENDA-JABAR", "SAMSAT-BANDUNG-01", "BAPENDA-BANTENX"):
        assert for_unit([national, policy], unit, lambda p: p) == [national]
    with pytest.raises(ValueError, match="not 2022"):
        agency_policy(national, org, PERIOD)
