"""``python -m tests.mutation``: the mutation score of the pure rules, checked against the
recorded figure.

Runs mutmut 3 (configured under ``[tool.mutmut]`` in pyproject.toml: the domain modules of
both services and shared policy, chain, strict input and authority, against tests/unit)
from a clean ``mutants/`` copy, prints the score and every surviving mutant, and exits 1
when the score is below the one in ``tests/mutation_baseline.json``. ``--record`` writes
the score just measured as the new baseline (do it only after explaining the survivors in
docs/testing.md). The score counts a mutant no test reaches as a survivor: killed (or timed
out) over all mutants.
"""

import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tests" / "mutation_baseline.json"
MUTANTS = ROOT / "mutants"
NOT_KILLED = ("survived", "no tests", "suspicious", "segfault", "check was interrupted by user")


def mutmut(*args: str, log: Path | None = None) -> str:
    """Run one mutmut command from the repository root; its output (or the log's path)."""
    command = [sys.executable, "-m", "mutmut", *args]
    if log is None:
        return subprocess.run(command, cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout
    with log.open("w") as out:  # the progress spinner is long: keep it out of CI's log
        subprocess.run(command, cwd=ROOT, check=True, stdout=out, stderr=subprocess.STDOUT)
    return str(log)


def stats() -> dict[str, int]:
    mutmut("export-cicd-stats")
    found: dict[str, int] = json.loads((MUTANTS / "mutmut-cicd-stats.json").read_text())
    return found


def score(counts: dict[str, int]) -> float:
    total = counts["total"] - counts.get("skipped", 0)
    return (counts["killed"] + counts.get("timeout", 0)) / total if total else 0.0


def not_killed() -> list[str]:
    """'mutant: status' of every mutant that no unit test killed."""
    lines = mutmut("results", "--all", "true").splitlines()
    return sorted(line.strip() for line in lines if line.strip().endswith(NOT_KILLED))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="write the score as baseline")
    parser.add_argument("--keep", action="store_true",
                        help="reuse mutants/ (mutmut then retests only changed functions)")
    parser.add_argument("--max-children", type=int, default=None)
    args = parser.parse_args(argv)
    if not args.keep:
        shutil.rmtree(MUTANTS, ignore_errors=True)
    started = time.monotonic()
    run_args = ["run"] + ([f"--max-children={args.max_children}"] if args.max_children else [])
    MUTANTS.mkdir(exist_ok=True)
    log = mutmut(*run_args, log=ROOT / "mutmut-run.log")
    counts = stats()
    measured = score(counts)
    print(f"[mutation] {counts['killed']} killed, {counts.get('timeout', 0)} timed out, "
          f"{counts['survived']} survived, {counts['no_tests']} reached by no test, of "
          f"{counts['total']}: score {measured:.1%} in {time.monotonic() - started:.0f} s "
          f"(mutmut's log: {log})")
    for line in not_killed():
        print(f"[mutation]   {line}")
    baseline: dict[str, Any] = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if args.record:
        floor = math.floor(measured * 10_000) / 10_000  # never above what was measured
        BASELINE.write_text(json.dumps({"score": floor, **counts}, indent=2) + "\n")
        print(f"[mutation] recorded {measured:.1%} in {BASELINE.relative_to(ROOT)}")
        return 0
    floor = float(baseline.get("score", 0.0))
    if measured + 1e-9 < floor:
        print(f"[mutation] FAILED: {measured:.1%} is below the recorded {floor:.1%}: a unit "
              "test stopped killing a mutant, or new code has no unit test")
        return 1
    print(f"[mutation] ok: at least the recorded {floor:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
