"""Checks the event chain against its signed checkpoints: what ``audit verify`` adds to the
hash chain so that an appended forgery or a dropped tail cannot pass (pure; the reading of
the store and of Kafka is in ``services.appraisal.adapters.anchoring``).

The models are Certificate Transparency's signed tree heads and immudb's client-verified
state: a checkpoint signed outside the database fixes the chain up to its position; the
auditor recomputes the chain from genesis and requires the same hash there. So:

- every checkpoint (stored, or on the checkpoints topic) must be signed by the configured
  key, name this log, and match the recomputed chain at its position — a checkpoint past
  the store's head means the tail was cut off;
- the stored checkpoints and the Kafka copy must be the same set (one per position: two
  different signed heads at one position is a split view);
- events after the last valid checkpoint are *unanchored*: a forged event appended there
  passes the chain, so they are reported (a warning), named by position and id.

The events themselves are compared with their Kafka copy by the adapter; its findings come
in as ``copy_findings``.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.checkpoints import SignedCheckpoint, verify
from shared.signing import key_id

Kind = Literal[
    "unanchored", "no_public_key", "other_log_on_kafka",  # warnings
    "public_key_unreadable", "bad_signature", "unknown_key", "other_log", "hash_mismatch",
    "truncated", "checkpoint_not_on_kafka", "checkpoint_not_in_store", "checkpoint_differs",
    "checkpoint_unreadable", "event_not_on_kafka", "event_not_in_store", "event_differs",
    "event_unreadable",
]
WARNINGS: frozenset[Kind] = frozenset({"unanchored", "no_public_key", "other_log_on_kafka"})
SHOWN_PER_KIND = 50
"""Findings of one kind listed one by one; the rest are counted."""


@dataclass(frozen=True)
class AnchorFinding:
    kind: Kind
    position: int | None
    event_id: UUID | None
    detail: str

    @property
    def failed(self) -> bool:
        return self.kind not in WARNINGS


@dataclass(frozen=True)
class ChainFacts:
    """What the auditor recomputed from the store (``shared.chain``, from genesis)."""

    head: int
    events: int
    log_id: bytes | None
    """The recomputed hash of event 1 (None when the store has no event 1)."""
    at: Mapping[int, tuple[UUID, bytes]]
    """Checkpointed position -> (event id, recomputed chain hash) of the event there."""
    tail: Sequence[tuple[int, UUID]] = ()
    """The last events (position, id), to name unanchored ones."""


@dataclass
class AnchorReport:
    facts: ChainFacts
    anchor: SignedCheckpoint | None = None
    checkpoints: int = 0
    stored: int = 0
    on_kafka: int = 0
    """Distinct checkpoints of this log on Kafka: publishing is at least once, so a stop
    between publishing and confirming leaves a second, identical record."""
    findings: list[AnchorFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.failed for f in self.findings)

    @property
    def anchored_position(self) -> int:
        return self.anchor.position if self.anchor else 0

    @property
    def unanchored(self) -> int:
        return max(0, self.facts.head - self.anchored_position)

    def of(self, *kinds: Kind) -> list[AnchorFinding]:
        return [f for f in self.findings if f.kind in kinds]


CHECKPOINT_KINDS: tuple[Kind, ...] = (
    "public_key_unreadable", "bad_signature", "unknown_key", "other_log", "hash_mismatch",
    "truncated", "checkpoint_not_on_kafka", "checkpoint_not_in_store", "checkpoint_differs",
    "checkpoint_unreadable")


def verify_anchored(facts: ChainFacts, stored: Sequence[SignedCheckpoint],
                    on_kafka: Sequence[SignedCheckpoint], public_key: Ed25519PublicKey | None,
                    copy_findings: Iterable[AnchorFinding] = ()) -> AnchorReport:
    """Check every checkpoint against the recomputed chain and the key, the stored set
    against the Kafka set, and name what is unanchored."""
    report = AnchorReport(facts, stored=len(stored))
    ours = [cp for cp in on_kafka if cp.checkpoint.log_id == facts.log_id]
    report.on_kafka = len(set(ours))
    _foreign(report, [cp for cp in on_kafka if cp.checkpoint.log_id != facts.log_id],
             public_key)
    _compare_copies(report, stored, ours)
    if public_key is None:
        report.findings.append(AnchorFinding(
            "no_public_key", None, None, "no public key configured "
            "(APPRAISAL_CHECKPOINT_PUBLIC_KEY_FILE): checkpoint signatures not checked, "
            "nothing counts as anchored"))
    distinct = {(cp.position, cp.signature): cp for cp in [*stored, *ours]}
    report.checkpoints = len(distinct)
    for cp in sorted(distinct.values(), key=lambda c: c.position):
        sound = _holds(report, cp, public_key) and public_key is not None
        if sound and (report.anchor is None or cp.position > report.anchor.position):
            report.anchor = cp
    _name_unanchored(report)
    report.findings.extend(copy_findings)
    return report


def _foreign(report: AnchorReport, foreign: Sequence[SignedCheckpoint],
             public_key: Ed25519PublicKey | None) -> None:
    """Checkpoints of other logs are ignored, unless this key signed them: then a store
    rewritten from its first event would look just like this."""
    mine = [cp for cp in foreign if public_key is not None and verify(cp, public_key)]
    if mine:
        logs = sorted({cp.checkpoint.log_id.hex()[:16] for cp in mine})
        report.findings.append(AnchorFinding(
            "other_log_on_kafka", None, None,
            f"{len(mine)} checkpoint(s) on Kafka signed with this key name other logs "
            f"({', '.join(logs[:5])}…); this store's log is "
            f"{(report.facts.log_id or b'').hex()[:16]}…"))


def _compare_copies(report: AnchorReport, stored: Sequence[SignedCheckpoint],
                    on_kafka: Sequence[SignedCheckpoint]) -> None:
    in_store = {cp.position: cp for cp in stored}
    kafka: dict[int, set[SignedCheckpoint]] = {}
    for cp in on_kafka:
        kafka.setdefault(cp.position, set()).add(cp)
    for position in sorted(in_store.keys() | kafka.keys()):
        event_id = _event_at(report.facts, position)
        copies = kafka.get(position, set())
        if len(copies) > 1:
            report.findings.append(AnchorFinding(
                "checkpoint_differs", position, event_id,
                f"Kafka holds {len(copies)} different checkpoints for this position"))
        if position not in in_store:
            report.findings.append(AnchorFinding(
                "checkpoint_not_in_store", position, event_id,
                "on the checkpoints topic but not in the store (deleted from the table?)"))
        elif not copies:
            report.findings.append(AnchorFinding(
                "checkpoint_not_on_kafka", position, event_id,
                "in the store but never published to the checkpoints topic"))
        elif in_store[position] not in copies:
            report.findings.append(AnchorFinding(
                "checkpoint_differs", position, event_id,
                "the stored checkpoint differs from the one on Kafka"))


def _holds(report: AnchorReport, cp: SignedCheckpoint,
           public_key: Ed25519PublicKey | None) -> bool:
    """Whether ``cp`` is sound (signature, log, chain); a finding for each problem."""
    facts, position = report.facts, cp.position
    checkpoint = cp.checkpoint
    event_id = _event_at(facts, position)
    problems: list[AnchorFinding] = []

    def problem(kind: Kind, detail: str) -> None:
        problems.append(AnchorFinding(kind, position, event_id, detail))

    if public_key is not None:
        if checkpoint.key_id != key_id(public_key):
            problem("unknown_key", f"signed by key {checkpoint.key_id}, not by the configured "
                                   f"key {key_id(public_key)}")
        elif not verify(cp, public_key):
            problem("bad_signature", f"the signature does not verify with key "
                                     f"{checkpoint.key_id} (a forged checkpoint)")
    if facts.log_id is not None and checkpoint.log_id != facts.log_id:
        problem("other_log", f"names log {checkpoint.log_id.hex()[:16]}…, the store's first "
                             f"event gives {facts.log_id.hex()[:16]}…")
    if position > facts.head:
        problem("truncated", f"signed head at position {position} "
                             f"({checkpoint.signed_at.isoformat()}), but the store ends at "
                             f"{facts.head}: {position - facts.head} event(s) cut off")
    elif position not in facts.at:
        problem("truncated", "the signed event at this position is missing from the store")
    elif facts.at[position][1] != checkpoint.hash:
        problem("hash_mismatch", f"the chain recomputed up to here is "
                                 f"{facts.at[position][1].hex()[:16]}…, the signed head is "
                                 f"{checkpoint.hash.hex()[:16]}…: history up to here changed")
    report.findings.extend(problems)
    return not problems


def _event_at(facts: ChainFacts, position: int) -> UUID | None:
    found = facts.at.get(position)
    return found[0] if found else None


def _name_unanchored(report: AnchorReport) -> None:
    after = report.anchored_position
    if report.unanchored == 0:
        return
    for position, event_id in report.facts.tail:
        if position > after:
            report.findings.append(AnchorFinding(
                "unanchored", position, event_id,
                f"recorded after the last valid signed checkpoint (position {after})"))
