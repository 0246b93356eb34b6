"""What the audit commands print for a script (``--json``): plain dicts of their results."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.appraisal.domain.records import AsOf
from services.appraisal.service_layer.replay import ReplayStats
from services.appraisal.service_layer.verify import AuditReport
from services.appraisal.service_layer.versions import SwapResult


def replay_summary(stats: ReplayStats, as_of: AsOf | None = None) -> dict[str, Any]:
    summary = {**asdict(stats), "events_per_s": round(stats.events_per_s, 1)}
    return summary if as_of is None else {**summary, "as_of": str(as_of)}


def report_document(report: AuditReport, at: datetime) -> dict[str, Any]:
    return {"ok": report.ok, "at": at, "checks": [asdict(c) for c in report.checks],
            "replay": replay_summary(report.replay) if report.replay else None,
            "anchored_position": report.anchoring.anchored_position if report.anchoring else None,
            "unanchored": report.anchoring.unanchored if report.anchoring else None}


def swap_document(schema: str, result: SwapResult) -> dict[str, Any]:
    return {"schema": schema, **asdict(result)}
