"""The anchoring part of the audit report (``audit verify``): summary rows, then each
finding named by position and event id (``shared.anchoring``)."""

from collections import Counter
from typing import Literal

from shared.anchoring import CHECKPOINT_KINDS, SHOWN_PER_KIND, AnchorFinding, AnchorReport

Result = Literal["PASS", "FAIL", "WARN"]
Row = tuple[str, Result, str]


def anchor_rows(report: AnchorReport) -> list[Row]:
    return [_checkpoints_row(report), _anchored_row(report), _copy_row(report),
            *_finding_rows(report.findings)]


def _checkpoints_row(report: AnchorReport) -> Row:
    failed = any(f.failed for f in report.of(*CHECKPOINT_KINDS))
    anchor = report.anchor
    last = (f"last valid at position {anchor.position}, signed "
            f"{anchor.checkpoint.signed_at.isoformat(timespec='seconds')} by key "
            f"{anchor.checkpoint.key_id}" if anchor else "none valid")
    result: Result = "FAIL" if failed else "WARN" if report.of("no_public_key") else "PASS"
    return ("signed checkpoints", result,
            f"{report.checkpoints} checkpoint(s): {report.stored} stored, {report.on_kafka} on "
            f"Kafka; {last}")


def _anchored_row(report: AnchorReport) -> Row:
    head, anchored, unanchored = report.facts.head, report.anchored_position, report.unanchored
    if head == 0:
        return "anchored", "PASS", "the store is empty"
    if report.anchor is None:
        return "anchored", "WARN", f"no valid signed checkpoint: all {head} event(s) unanchored"
    where = (f"position {head}" if unanchored == 1
             else f"positions {anchored + 1}..{head}")
    after = (f"{unanchored} event(s) after it not anchored yet ({where})" if unanchored
             else "0 events unanchored")
    return ("anchored", "WARN" if unanchored else "PASS",
            f"events 1..{anchored} match the signed chain; {after}")


def _copy_row(report: AnchorReport) -> Row:
    problems = report.of("event_not_on_kafka", "event_not_in_store", "event_differs",
                         "event_unreadable")
    if problems:
        return "kafka copy", "FAIL", f"{len(problems)} difference(s) between the store and Kafka"
    return ("kafka copy", "PASS", f"all {report.facts.events:,} stored events are on Kafka with "
            "the same id and content, and Kafka holds no other event")


def _finding_rows(findings: list[AnchorFinding]) -> list[Row]:
    rows: list[Row] = []
    shown: Counter[str] = Counter()
    for finding in findings:
        shown[finding.kind] += 1
        if shown[finding.kind] > SHOWN_PER_KIND:
            continue
        rows.append((_name(finding), "FAIL" if finding.failed else "WARN",
                     f"{finding.kind.upper()}"
                     f"{f' (event_id {finding.event_id})' if finding.event_id else ''}: "
                     f"{finding.detail}"))
    for kind, count in shown.items():
        if count > SHOWN_PER_KIND:
            rows.append((f"  {kind}", "WARN" if kind == "unanchored" else "FAIL",
                         f"... and {count - SHOWN_PER_KIND} more"))
    return rows


def _name(finding: AnchorFinding) -> str:
    if finding.position is None:
        return "  anchoring"
    if finding.kind in CHECKPOINT_KINDS:
        return f"  checkpoint {finding.position}"
    return f"  event {finding.position} ({'anchor' if finding.kind == 'unanchored' else 'kafka'})"
