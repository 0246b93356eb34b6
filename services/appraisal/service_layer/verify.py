"""The audit: the event store's hash chain, its signed checkpoints and its Kafka copy
(``shared.anchoring``), then a rebuild stopped where the live consumer stands, compared
with the live projections table by table (every registered projection)."""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from services.appraisal.adapters import positions, targets
from services.appraisal.adapters.anchoring import audit_anchoring
from services.appraisal.adapters.checksum import table_checksums
from services.appraisal.projections import REGISTRY
from services.appraisal.projections.registry import Registry
from services.appraisal.service_layer.anchor_checks import Result, anchor_rows
from services.appraisal.service_layer.replay import (
    Progress,
    ReplayStats,
    partition_count,
    replay_store,
)
from shared.anchoring import AnchorReport
from shared.db import make_engine
from shared.history import ChainReport, verify_chain
from shared.kafka_access import KafkaAccess
from shared.pseudonym import Pseudonyms

Sums = dict[str, tuple[int, str]]


@dataclass
class Check:
    name: str
    result: Result
    details: str


@dataclass
class AuditReport:
    checks: list[Check] = field(default_factory=list)
    chain: ChainReport | None = None
    replay: ReplayStats | None = None
    anchoring: AnchorReport | None = None

    @property
    def ok(self) -> bool:
        """No check failed (a warning, e.g. the latest events not anchored yet, is no
        failure)."""
        return all(c.result != "FAIL" for c in self.checks)


async def run_verify(store_url: str, live_url: str, access: KafkaAccess, topic: str,
                     partitions: int | None = None, live_schema: str | None = None,
                     scratch_url: str | None = None, registry: Registry = REGISTRY,
                     progress: Progress | None = None,
                     warn: Callable[[str], None] = print, *,
                     pseudonyms: Pseudonyms) -> AuditReport:
    report = AuditReport()
    report.chain = await verify_chain(store_url)
    report.checks += _chain_checks(report.chain)
    report.anchoring = await audit_anchoring(store_url, access, topic)  # signed checkpoints
    report.checks.extend(Check(*row) for row in anchor_rows(report.anchoring))
    limits, live_sums = await _live_state(live_url, topic, live_schema, registry)
    count = await partition_count(access, topic, partitions, warn)
    if limits and max(limits) >= count:
        report.checks.append(Check("partitions", "FAIL", f"live consumer has partition "
                                   f"{max(limits)}, but the topic has {count}"))
    with tempfile.TemporaryDirectory(prefix="erk-verify-") as scratch_dir:
        url = scratch_url or f"sqlite+aiosqlite:///{Path(scratch_dir) / 'rebuild.db'}"
        await targets.migrate_target(url, registry.migrations)
        engine = targets.target_engine(url)
        try:
            report.replay = await replay_store(store_url, engine, topic, count, limits=limits,
                                               registry=registry, progress=progress,
                                               pseudonyms=pseudonyms)
            async with engine.connect() as conn:
                rebuilt_sums = await table_checksums(conn, registry)
        finally:
            await engine.dispose()
    where = ", ".join(f"p{p}@{last}" for p, last in sorted(limits.items())) or "nothing yet"
    report.checks.append(Check("rebuild", "PASS", f"{report.replay.events:,} events replayed "
                               f"up to the live positions ({where}) over {count} partitions"))
    report.checks += _table_checks(live_sums, rebuilt_sums)
    return report


def _chain_checks(chain: ChainReport) -> list[Check]:
    checks = [Check("hash chain", "PASS" if chain.ok else "FAIL",
                    f"{chain.events:,} events, head position {chain.head_position}, "
                    f"head hash {chain.head_hash[:16]}…" if chain.ok else
                    f"{len(chain.findings)} problem(s) in {chain.events:,} events")]
    for finding in chain.findings:
        which = f" (event_id {finding.event_id})" if finding.event_id else ""
        checks.append(Check(f"  event {finding.position}", "FAIL",
                            f"{finding.kind.upper()}{which}: {finding.detail}"))
    return checks


async def _live_state(live_url: str, topic: str, schema: str | None,
                      registry: Registry) -> tuple[dict[int, int], Sums]:
    """Where the live consumer stands (partition -> last position) and the live checksums,
    from one snapshot: the consumer keeps going meanwhile."""
    engine = make_engine(live_url, pool_size=2)
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                await targets.in_schema(conn, schema)
                stored = await positions.stored(conn, topic)
                sums = await table_checksums(conn, registry)
    finally:
        await engine.dispose()
    return {p: position.last_position for p, position in stored.items()}, sums


def _table_checks(live: Sums, rebuilt: Sums) -> list[Check]:
    checks = []
    for table, (live_rows, live_sum) in live.items():
        rows, digest = rebuilt[table]
        same = (rows, digest) == (live_rows, live_sum)
        checks.append(Check(
            f"table {table}", "PASS" if same else "FAIL",
            f"{rows:,} rows, checksum {digest[:16]}…" if same else
            f"live {live_rows:,} rows {live_sum[:16]}… ≠ rebuilt {rows:,} rows {digest[:16]}…"))
    return checks
