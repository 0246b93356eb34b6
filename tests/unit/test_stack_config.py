"""The stack's configuration, checked without starting anything: the cluster nodes'
replication guarantees (the cluster tests rely on them, and only CI's cluster step runs
those), and the port settings `deploy/stack` refuses before it touches anything."""

import os
import subprocess

import pytest

from tests.support.cluster import STACK, node_setting

pytestmark = pytest.mark.unit


def test_cluster_nodes_replicate_every_write_twice_and_never_elect_unclean_leaders() -> None:
    assert node_setting("default.replication.factor") == "3"
    assert node_setting("min.insync.replicas") == "2"
    assert node_setting("unclean.leader.election.enable") == "false"
    assert node_setting("offsets.topic.replication.factor") == "3"
    assert node_setting("transaction.state.log.replication.factor") == "3"
    assert node_setting("transaction.state.log.min.isr") == "2"
    assert node_setting("process.roles") == "broker,controller"


def stack_status(**ports: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ports}
    return subprocess.run([str(STACK), "status"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_two_settings_on_one_port_are_refused() -> None:
    done = stack_status(ERK_PG_PORT="19999", ERK_KAFKA_PORT="19999")
    assert done.returncode == 1
    assert "two settings share a port (19999)" in done.stderr


def test_a_port_that_is_no_port_is_refused() -> None:
    done = stack_status(ERK_KAFKA_PORT="90x")
    assert done.returncode == 1
    assert "ERK_KAFKA_PORT=90x is not a usable TCP port" in done.stderr


def test_cluster_ports_count_as_taken_too() -> None:
    done = stack_status(ERK_CLUSTER_PORT="29092", APPRAISAL_HTTP_PORT="29093")
    assert done.returncode == 1
    assert "share a port (29093)" in done.stderr
