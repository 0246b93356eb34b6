"""The short chaos run of CI on the 3-node cluster (``deploy/stack chaos`` is the long one):
45 s of mixed load while a seeded schedule restarts the stack's PostgreSQL (``pg_ctl
restart -m fast``), kills the leader
of the busiest events partition (restarted after the controller fenced it) and cuts
intake's database; every invariant of ``tests.chaos`` must hold afterwards, and
no request may have been answered 500. Here, not in tests/integration: a PostgreSQL
restart would disturb any test running beside it."""

from pathlib import Path

import pytest

from tests.chaos.run import chaos
from tests.chaos.schedule import CLUSTER_KINDS, plan
from tests.support.cluster import Cluster

pytestmark = pytest.mark.cluster

SEED = 7
MINUTES = 0.75
KINDS = (*CLUSTER_KINDS, "cut_intake_db")
"""Seed 7 strikes each of them once in 45 s."""


async def test_a_short_chaos_run_with_broker_kills_and_a_postgres_restart(
    cluster: Cluster, tmp_path: Path, create_database: object
) -> None:
    del create_database  # makes the session's key store, which the chaos's intake seals with
    planned = plan(SEED, MINUTES, KINDS)
    assert {fault.kind for fault in planned} == set(KINDS), planned
    report = await chaos(SEED, MINUTES, tmp_path, employees=40, rate=20.0,
                         cluster=cluster.bootstrap, kinds=KINDS)
    print(f"\nchaos on the cluster: {report['timeline']}\nbroker kills: "
          f"{report['broker_kills']}\nload: {report['load']}")
    failed = [c for c in report["checks"] if not c["ok"]]
    assert not failed, f"failed checks: {failed}; timeline {report['timeline']}"
    assert [entry["fault"] for entry in report["timeline"]] == [f.kind for f in planned]
    answers = report["load"]["answers_by_status"]
    assert answers.get(201, 0) > 100, answers
    assert not {s for s in answers if s >= 500} - {503}, answers
    kill = next(e for e in report["timeline"] if e["fault"] == "kill_broker")
    assert kill["answers_during"].get("201", 0) > 0, kill  # writes go on: the outbox
    restart = next(e for e in report["timeline"] if e["fault"] == "restart_postgres")
    assert restart["new_server"], restart  # a real restart: a new postmaster
