"""The seeded fault schedule: which fault when, and for how long. Pure: the same seed and
length give the same schedule."""

import random
from dataclasses import dataclass

KINDS = ("kill_intake", "kill_appraisal", "cut_intake_db", "cut_appraisal_db",
         "terminate_relay_connections")
"""Faults any stack takes: they touch only the run's own processes and sessions."""
CLUSTER_KINDS = ("kill_broker", "restart_postgres")
"""Faults of ``deploy/stack chaos``: a node of the 3-node cluster killed, and the stack's
own PostgreSQL restarted (nothing else may share either while they strike)."""


@dataclass(frozen=True)
class Fault:
    at_s: float
    """Seconds after the load started."""
    kind: str
    hold_s: float
    """How long the fault lasts before it is repaired (restart, restore); 0 for the
    faults that repair themselves (a terminated session, a PostgreSQL restart)."""


def hold_for(kind: str, rng: random.Random) -> float:
    if kind == "kill_broker":
        # either side of the controller's session timeout (9 s): restarted before and
        # after the dead node was fenced
        return round(rng.uniform(3.0, 12.0), 2)
    if kind.startswith("kill"):
        return round(rng.uniform(0.5, 2.0), 2)
    if kind in ("terminate_relay_connections", "restart_postgres"):
        return 0.0
    return round(rng.uniform(2.0, 6.0), 2)


def plan(seed: int, minutes: float, kinds: tuple[str, ...] = KINDS,
         gap_s: tuple[float, float] = (6.0, 14.0)) -> list[Fault]:
    """Faults spread over the run, one at a time, every kind at least once when the run
    is long enough; the last one ends with a quarter of the run (at least 10 s) to spare."""
    rng = random.Random(seed)
    end = minutes * 60 - max(10.0, minutes * 15)
    pending = list(kinds)
    rng.shuffle(pending)
    faults, at = [], rng.uniform(*gap_s) / 2
    while True:
        kind = pending.pop() if pending else rng.choice(kinds)
        hold = hold_for(kind, rng)
        if at + hold > end:
            return faults
        faults.append(Fault(round(at, 2), kind, hold))
        at += hold + rng.uniform(*gap_s)
