"""The shipped Prometheus rules parse, have what Alertmanager needs, and name only metrics
the services export (promtool is not at hand: the names are what goes wrong first)."""

import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from services.appraisal.metrics import Metrics
from services.intake.metrics import IntakeMetrics
from shared.supervisor import Supervisor

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yaml"
METRIC = re.compile(r"\berk_[a-z0-9_]+\b")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count"),
            "summary": ("_sum", "_count")}


def exported(registry: CollectorRegistry) -> set[str]:
    names = set()
    for family in registry.collect():
        suffixes = SUFFIXES.get(family.type)
        names |= {family.name + s for s in suffixes} if suffixes else {family.name}
    return names


def service_metrics() -> set[str]:
    intake, appraisal = IntakeMetrics(stall_after_s=30), Metrics()
    for registry in (intake.registry, appraisal.registry):
        Supervisor(registry)
    return exported(intake.registry) | exported(appraisal.registry)


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_rule_is_complete() -> None:
    loaded = rules()
    assert {r["alert"] for r in loaded} >= {"ErkRelayStalled", "ErkConsumerLagging",
                                            "ErkDeadLettersOpen", "ErkHeldKeys", "ErkTaskDown"}
    assert len({r["alert"] for r in loaded}) == len(loaded), "alert names repeat"
    for rule in loaded:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"page", "warn"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0s")), rule["alert"]
        expr = rule["expr"]
        assert expr.count("(") == expr.count(")") and expr.count("[") == expr.count("]"), expr


def test_rules_name_only_exported_metrics() -> None:
    known = service_metrics()
    named = {name for rule in rules()
             for name in METRIC.findall(rule["expr"] + str(rule["annotations"]))}
    assert named, "no metric named at all"
    assert named <= known, f"not exported by any service: {sorted(named - known)}"


def test_the_checker_knows_the_exported_names() -> None:
    # a counter is exported with _total; the bare family name is no series of its own
    known = service_metrics()
    assert {"erk_task_restarts_total", "erk_relay_stalled", "erk_consumer_lag_seconds",
            "erk_dead_letters_open", "erk_held_keys"} <= known
    assert "erk_task_restarts" not in known
