"""verify_anchored: every checkpoint against the recomputed chain and the key, the stored
set against the Kafka set, and what is unanchored — each finding named by position."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared import checkpoints as cps
from shared.anchoring import ChainFacts, verify_anchored
from shared.signing import LocalSigner

pytestmark = pytest.mark.unit

KEY = LocalSigner(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
OTHER = LocalSigner(Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
IDS = {p: uuid.UUID(int=p) for p in range(1, 40)}
HASHES = {p: hashlib.sha256(str(p).encode()).digest() for p in range(1, 40)}
LOG = HASHES[1]
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def facts(head: int, checkpointed: list[int], hashes: dict[int, bytes] = HASHES) -> ChainFacts:
    return ChainFacts(head, head, LOG, {p: (IDS[p], hashes[p]) for p in checkpointed if p <= head},
                      tuple((p, IDS[p]) for p in range(max(1, head - 19), head + 1)))


def signed(position: int, signer: LocalSigner = KEY, log: bytes = LOG,
           head_hash: bytes | None = None) -> cps.SignedCheckpoint:
    checkpoint = cps.new_checkpoint(log, position, head_hash or HASHES[position],
                                    T0 + timedelta(minutes=position), signer)
    return cps.sign(checkpoint, signer)


def kinds(report: object) -> list[tuple[str, int | None]]:
    return [(f.kind, f.position) for f in report.findings]  # type: ignore[attr-defined]


def test_an_honest_history_is_anchored_to_its_head() -> None:
    stored = [signed(5), signed(10)]
    # the checkpoint at 10 published twice: a stop came between publishing and confirming
    report = verify_anchored(facts(10, [5, 10]), stored, [*stored, stored[1]], KEY.public_key)
    assert report.ok and kinds(report) == []
    assert report.anchored_position == 10 and report.unanchored == 0
    assert report.checkpoints == 2 and report.stored == 2 and report.on_kafka == 2


def test_events_after_the_last_checkpoint_are_unanchored_by_position_and_id() -> None:
    stored = [signed(5), signed(10)]
    report = verify_anchored(facts(12, [5, 10]), stored, stored, KEY.public_key)
    assert report.ok  # a warning: the next checkpoint anchors them
    assert kinds(report) == [("unanchored", 11), ("unanchored", 12)]
    assert [f.event_id for f in report.findings] == [IDS[11], IDS[12]]
    assert report.unanchored == 2


def test_without_a_public_key_nothing_is_anchored() -> None:
    stored = [signed(5)]
    report = verify_anchored(facts(5, [5]), stored, stored, None)
    assert report.ok and report.anchor is None and report.unanchored == 5
    assert kinds(report)[0] == ("no_public_key", None)


@pytest.mark.parametrize("claims_our_key", [True, False], ids=["our-key-id", "own-key-id"])
def test_a_checkpoint_forged_without_the_key(claims_our_key: bool) -> None:
    genuine = [signed(5), signed(10)]
    if claims_our_key:  # our key id, signature by another key
        checkpoint = cps.new_checkpoint(LOG, 12, HASHES[12], T0, KEY)
        forged = cps.SignedCheckpoint(checkpoint, OTHER.sign(cps.canonical_bytes(checkpoint)))
    else:
        forged = signed(12, OTHER)
    report = verify_anchored(facts(12, [5, 10, 12]), [*genuine, forged], genuine,
                             KEY.public_key)
    expected = "bad_signature" if claims_our_key else "unknown_key"
    assert not report.ok
    assert kinds(report) == [("checkpoint_not_on_kafka", 12), (expected, 12),
                             ("unanchored", 11), ("unanchored", 12)]
    assert report.anchored_position == 10
    assert report.findings[1].event_id == IDS[12]


def test_a_truncated_tail_is_named_at_the_signed_head() -> None:
    genuine = [signed(5), signed(10)]
    report = verify_anchored(facts(8, [5, 10]), genuine, genuine, KEY.public_key)
    assert not report.ok
    assert kinds(report) == [("truncated", 10), ("unanchored", 6), ("unanchored", 7),
                             ("unanchored", 8)]
    assert "store ends at 8: 2 event(s) cut off" in report.findings[0].detail


def test_a_changed_history_no_longer_matches_its_checkpoints() -> None:
    changed = {**HASHES, 10: hashlib.sha256(b"rewritten").digest()}
    genuine = [signed(5), signed(10)]
    report = verify_anchored(facts(10, [5, 10], changed), genuine, genuine, KEY.public_key)
    assert kinds(report)[0] == ("hash_mismatch", 10)
    assert report.findings[0].event_id == IDS[10] and report.anchored_position == 5


def test_stored_and_kafka_checkpoints_are_one_set() -> None:
    five, ten = signed(5), signed(10)
    other_ten = cps.sign(cps.new_checkpoint(LOG, 10, HASHES[10], T0, KEY), KEY)
    report = verify_anchored(facts(10, [5, 10]), [ten], [five, ten, other_ten], KEY.public_key)
    assert ("checkpoint_not_in_store", 5) in kinds(report)  # deleted from the table
    assert ("checkpoint_differs", 10) in kinds(report)  # two signed heads at one position
    assert not report.ok


def test_other_logs_on_the_topic_are_ignored_unless_this_key_signed_them() -> None:
    elsewhere = signed(3, OTHER, log=bytes(32))
    report = verify_anchored(facts(5, [5]), [signed(5)], [signed(5), elsewhere],
                             KEY.public_key)
    assert report.ok and kinds(report) == [] and report.on_kafka == 1
    ours_elsewhere = signed(3, KEY, log=bytes(32))
    report = verify_anchored(facts(5, [5]), [signed(5)], [signed(5), ours_elsewhere],
                             KEY.public_key)
    assert report.ok and kinds(report) == [("other_log_on_kafka", None)]


def test_a_stored_checkpoint_of_another_log_fails() -> None:
    foreign = signed(5, log=bytes(32))
    report = verify_anchored(facts(5, [5]), [foreign], [], KEY.public_key)
    assert ("other_log", 5) in kinds(report) and not report.ok
