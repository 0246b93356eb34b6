"""``python -m tests.chaos --seed N --minutes M [--out report.json]``: exit 0 when every
invariant held. Needs the running Kafka and PostgreSQL (``deploy/stack up``); with
``--cluster BOOTSTRAP`` the 3-node cluster instead of the broker, and broker kills and
PostgreSQL restarts among the faults (``deploy/stack chaos`` brings both up and runs it)."""

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from tests.chaos.run import chaos


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--employees", type=int, default=60)
    parser.add_argument("--rate", type=float, default=25.0, help="actions per second")
    parser.add_argument("--cluster", default="", metavar="BOOTSTRAP",
                        help="the 3-node cluster's bootstrap list: kill_broker and "
                             "restart_postgres join the faults")
    parser.add_argument("--out", type=Path, help="write the report here as JSON")
    parser.add_argument("--logs", type=Path, help="service logs (default: a temp dir)")
    args = parser.parse_args()
    logs = args.logs or Path(tempfile.mkdtemp(prefix="erk-chaos-"))
    logs.mkdir(parents=True, exist_ok=True)
    report = asyncio.run(chaos(args.seed, args.minutes, logs, args.employees, args.rate,
                               args.cluster))
    text = json.dumps(report, indent=2, default=str)
    print(text)
    print(f"service logs: {logs}", file=sys.stderr)
    if args.out is not None:
        args.out.write_text(text)
    sys.exit(0 if report["ok"] else 1)


main()
