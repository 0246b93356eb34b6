"""The chaos run's seeded schedule (tests/chaos/schedule.py) with the cluster's faults: the
same seed gives the same faults, every kind strikes in a long run, and adding the kinds
left the schedule of the first five as it was (the records of docs/reliability.md)."""

import itertools

from tests.chaos.schedule import CLUSTER_KINDS, KINDS, Fault, plan

ALL = KINDS + CLUSTER_KINDS


def test_a_ten_minute_cluster_run_strikes_every_kind_one_at_a_time() -> None:
    faults = plan(7, 10, ALL)
    assert faults == plan(7, 10, ALL)
    assert {f.kind for f in faults} == set(ALL)
    assert all(a.at_s + a.hold_s < b.at_s for a, b in itertools.pairwise(faults))
    assert faults[-1].at_s + faults[-1].hold_s <= 10 * 60 * 0.75


def test_a_broker_stays_down_either_side_of_the_session_timeout_postgres_restarts_at_once(
) -> None:
    faults = plan(7, 60, ALL)
    broker = [f.hold_s for f in faults if f.kind == "kill_broker"]
    assert min(broker) >= 3.0 and max(broker) <= 12.0
    assert min(broker) < 9.0 < max(broker)  # restarted before and after it was fenced
    assert {f.hold_s for f in faults if f.kind == "restart_postgres"} == {0.0}


def test_the_first_five_kinds_keep_their_schedule() -> None:
    assert plan(1, 1.25) == plan(1, 1.25, KINDS)
    assert plan(7, 10)[:3] == [Fault(3.29, "cut_intake_db", 4.14),
                               Fault(16.36, "kill_appraisal", 0.59),
                               Fault(27.0, "cut_appraisal_db", 2.15)]
