"""The benchmark suite's smoke run: the harness works and its results are correct (not fast).

Runs ``python -m tests.perf run --smoke`` as a child process on the real stack
(tiny sizes, fresh databases and topics it drops itself) and checks what it measured:
every projection run ended with the consumer positions at the end offsets, our consumer and
the straightforward handler produced the same projections (checksums) on the same prefix,
intake's accepted count equals the events in the store equals the records Kafka
acknowledged, and the replays into PostgreSQL and SQLite equal each other and a live run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_run_measures_correct_results(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, "-m", "tests.perf", "run", "--smoke", "--json", str(out),
         "--logs", str(tmp_path / "logs")],
        cwd=ROOT, env={**os.environ, "COLUMNS": "160"}, capture_output=True, text=True,
        timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    results = json.loads(out.read_text())
    assert results["smoke"] is True
    assert {"cpu", "cores", "ram_gb", "python", "postgresql", "kafka", "git_commit",
            "load_average"} <= set(results["machine"])

    projection = results["projection"]
    assert projection["records"] >= projection["events"] >= 3_000
    for name in ("ours", "ours_prefix", "straightforward"):
        assert projection[name]["positions_at_end"], name
        assert projection[name]["events_per_s"] > 0, name
    assert projection["ours"]["records"] == projection["records"]
    assert projection["straightforward"]["records"] == projection["prefix_records"]
    assert projection["prefix_checksums_equal"]
    assert projection["raw_aiokafka"]["records"] == projection["records"]
    assert projection["copy"]["records"] == projection["records"]
    assert all(ratio and ratio > 0 for ratio in projection["ratios"].values())

    intake = results["intake"]
    check = intake["check"]
    assert check["accepted"] > 0
    assert check["accepted_equals_store"], check
    assert check["store_equals_kafka"], check
    assert intake["latency"]["ok"] == intake["latency"]["requests"]
    for name in ("singles", "batches"):
        assert intake[name]["accepted"] > 0 and not intake[name]["rejected"], intake[name]

    freshness = results["freshness"]
    assert freshness["rejected"] == 0 and freshness["accepted"] > 0
    assert freshness["samples"] > 0 and freshness["not_visible_within_30s"] == 0
    assert freshness["freshness_ms"]["p99"] is not None

    for size, runs in results["replay"].items():
        if size == "wall_s":
            continue
        assert runs["fill"]["events"] >= 3_000
        assert runs["postgresql_equals_sqlite"], size
        assert runs["replay_equals_live"], size
        for target in ("postgresql", "sqlite"):
            assert runs[target]["peak_rss_mb"] > 0 and runs[target]["events_per_s"] > 0

    figures = {row["figure"] for row in results["targets"]}
    assert any(f.startswith("projection: ours") for f in figures)
    assert any(f.startswith("replay") for f in figures)
