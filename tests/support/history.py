"""A synthetic but valid event history, built directly (no intake): a roster with reporting
lines, a policy, activities, validations (some superseded), 360 reviews and a period close,
with gap-free global positions and consistent stream versions. Pure: no I/O.

Tests use :func:`organisation_history` (a :class:`History` holding every envelope); the
benchmarks stream millions of events with :func:`stream_organisation`, which yields them in
order and keeps only the little state the builder needs (versions per stream, open work)."""

import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.codec import encode
from shared.envelope import EventEnvelope
from shared.events import (
    ActingSuperiorAppointed,
    ActivityReported,
    ActivityRevised,
    BehaviourReview,
    EmployeeRegistered,
    Event,
    PeriodClosed,
    PolicyPublished,
    ReportingLineChanged,
    ReviewSubmitted,
    ValidationReview,
)
from shared.keystore import new_data_key
from shared.personal import seal_payload
from shared.policy import Policy
from shared.topics import BROADCAST_KEY

INDICATORS = ["integritas", "kepemimpinan", "pelayanan", "komitmen", "disiplin", "kerja_sama"]


def nip(i: int) -> str:
    return f"19800101{i:06d}1001"


def policy_document(version: str = "2026.1", effective_from: str = "2026-01") -> dict[str, Any]:
    return Policy(version=version, effective_from=effective_from).model_dump(mode="json")


@dataclass
class History:
    """Builds envelopes with gap-free positions; ``wire`` holds (key, bytes) in order.
    ``sealed``: personal fields sealed as intake stores them (a random data key per
    subject, kept in ``data_keys``), as the benchmarks measure."""

    start: datetime = field(default_factory=lambda: datetime(2026, 1, 2, 8, tzinfo=UTC))
    position: int = 0
    versions: dict[str, int] = field(default_factory=dict)
    envelopes: list[EventEnvelope] = field(default_factory=list)
    sealed: bool = False
    data_keys: dict[str, bytes] = field(default_factory=dict)

    def add(self, event: Event, subject: str, stream: str, **changes: Any) -> EventEnvelope:
        self.position += 1
        version = self.versions.get(stream, 0) + 1
        self.versions[stream] = version
        at = self.start + timedelta(seconds=self.position)
        envelope = EventEnvelope(
            event_id=uuid.uuid4(), event_type=event.event_type,
            schema_version=event.schema_version, stream_id=stream, stream_version=version,
            position=self.position, subject_nip=subject, occurred_at=at, recorded_at=at,
            actor="admin", source="app", correlation_id=uuid.uuid4(),
            payload=event.model_dump(mode="json"))
        if self.sealed and subject != BROADCAST_KEY:
            key = self.data_keys.setdefault(subject, new_data_key())
            envelope = envelope.model_copy(update={"payload": seal_payload(
                envelope.payload, key, subject, str(envelope.event_id), event.event_type)})
        if changes:
            envelope = envelope.model_copy(update=changes)
        self.envelopes.append(envelope)
        return envelope

    def employee(self, i: int, structural: bool = False) -> EventEnvelope:
        return self.add(EmployeeRegistered(
            nip=nip(i), name=f"Pegawai {i}", unit=f"U{i % 7}", position="Analis",
            structural=structural, employment_type="PNS", job_class=7),
            nip(i), f"employee-{nip(i)}")

    def line(self, i: int, superior: int | None, since: date = date(2025, 1, 1)) -> (
        EventEnvelope
    ):
        return self.add(ReportingLineChanged(
            nip=nip(i), superior_nip=nip(superior) if superior is not None else None,
            effective_from=since), nip(i), f"employee-{nip(i)}")

    def activity(self, i: int, day: date, minutes: int = 90,
                 activity_id: uuid.UUID | None = None) -> tuple[EventEnvelope, uuid.UUID]:
        activity_id = activity_id or uuid.uuid4()
        envelope = self.add(ActivityReported(
            activity_id=activity_id, nip=nip(i), work_date=day, minutes=minutes,
            description="Melayani wajib pajak", source="esamsat-test",
            external_ref=f"TX-{activity_id.hex[:12]}"), nip(i), f"activity-{activity_id}")
        return envelope, activity_id

    def decision(self, i: int, superior: int, activity_id: uuid.UUID, decision: str,
                 acting_for: int | None = None) -> EventEnvelope:
        """``acting_for``: the head whose place ``superior`` takes (an acting superior)."""
        return self.add(ReviewSubmitted(review=ValidationReview(
            activity_id=activity_id, owner_nip=nip(i), reviewer_nip=nip(superior),
            decision=decision, note=None if decision == "approved" else "lengkapi bukti",
            acting_for=nip(acting_for) if acting_for is not None else None)),
            nip(i), f"activity-{activity_id}")

    def acting(self, head: int, official: int, first: date, last: date) -> EventEnvelope:
        return self.add(ActingSuperiorAppointed(
            head_nip=nip(head), acting_nip=nip(official), kind="Plh", valid_from=first,
            valid_to=last), nip(head), f"acting-{nip(head)}")

    def revision(self, i: int, activity_id: uuid.UUID, day: date, minutes: int) -> (
        EventEnvelope
    ):
        """The owner amends an activity sent back for revision (``day``: as amended)."""
        return self.add(ActivityRevised(
            activity_id=activity_id, nip=nip(i), work_date=day, minutes=minutes,
            description="Melayani wajib pajak (bukti dilengkapi)", output="Bukti bayar"),
            nip(i), f"activity-{activity_id}", actor=nip(i))

    def review(self, ratee: int, rater: int, relation: str, period: str,
               rng: random.Random) -> EventEnvelope:
        return self.add(ReviewSubmitted(review=BehaviourReview(
            period=period, rater_nip=nip(rater), ratee_nip=nip(ratee), relation=relation,
            scores={name: rng.randint(60, 100) for name in INDICATORS})),
            nip(ratee), f"review-{period}-{nip(ratee)}-{nip(rater)}")

    def policy(self, version: str = "2026.1", effective_from: str = "2026-01") -> EventEnvelope:
        return self.add(PolicyPublished(version=version, effective_from=effective_from,
                                        document=policy_document(version, effective_from)),
                        BROADCAST_KEY, "policy")

    def close(self, period: str) -> EventEnvelope:
        return self.add(PeriodClosed(period=period), BROADCAST_KEY, f"period-{period}")


def wire(envelope: EventEnvelope) -> tuple[bytes, bytes]:
    """(key, value) keyed by the NIP itself. The relay keys by the NIP's subject id
    (``shared.pseudonym``), which only changes the partition: use the pseudonyms where a test
    compares with a replay from the store, which recomputes the relay's partitions."""
    return envelope.subject_nip.encode(), encode(envelope)


def _build(history: History, target_events: int, seed: int) -> Iterator[None]:
    """Adds events to ``history`` and yields after each step, so a caller may drain
    ``history.envelopes`` as it goes."""
    rng = random.Random(seed)
    staff_per_boss = 8
    people = max(16, target_events // 350)
    bosses = list(range(0, people, staff_per_boss + 1))
    boss_of = {i: i - i % (staff_per_boss + 1) for i in range(people) if i not in bosses}
    for i in range(people):
        history.employee(i, structural=i in bosses)
        yield
    for i, boss in boss_of.items():
        history.line(i, boss)
        yield
    history.policy()
    days = [date(2026, 1, d) for d in range(5, 32) if date(2026, 1, d).weekday() < 5]
    days += [date(2026, 2, d) for d in range(2, 28) if date(2026, 2, d).weekday() < 5]
    pending: list[tuple[int, uuid.UUID]] = []
    for day in days:
        if day == date(2026, 2, 10):
            for i, boss in boss_of.items():
                peers = [p for p, b in boss_of.items() if b == boss and p != i][:3]
                history.review(i, boss, "superior", "2026-01", rng)
                for peer in peers:
                    history.review(i, peer, "peer", "2026-01", rng)
                yield
            history.close("2026-01")
            yield
        for i in boss_of:
            for _ in range(rng.randint(4, 7)):
                if history.position >= target_events:
                    return
                _, activity_id = history.activity(i, day, rng.choice([30, 60, 90, 120]))
                pending.append((i, activity_id))
                yield
        rng.shuffle(pending)
        keep = []
        for i, activity_id in pending:
            roll = rng.random()
            if roll < 0.75:
                history.decision(i, boss_of[i], activity_id, "approved")
            elif roll < 0.82:
                history.decision(i, boss_of[i], activity_id, "revision_requested")
                history.decision(i, boss_of[i], activity_id,
                                 rng.choice(["approved", "rejected"]))
            elif roll < 0.85:
                history.decision(i, boss_of[i], activity_id, "rejected")
            else:
                keep.append((i, activity_id))
            yield
        pending = keep


def organisation_history(target_events: int, seed: int = 7) -> History:
    """A realistic month-and-a-bit: ~1 superior per 8 staff, ~6 activities a working day,
    most validated, some asked for revision and then approved (superseding decisions),
    peer and superior 360 reviews, a policy before and a period close in the middle.
    Holds every envelope (fine for tests; use :func:`stream_organisation` for millions).
    Stops at about ``target_events`` (a step may add one or two more)."""
    history = History()
    for _ in _build(history, target_events, seed):
        pass
    return history


def stream_organisation(target_events: int, seed: int = 7, chunk: int = 1000,
                        sealed: bool = False) -> Iterator[EventEnvelope]:
    """The same history as :func:`organisation_history`, yielded in position order with
    flat memory (at most ``chunk`` envelopes are held at a time); ``sealed``: see History."""
    history = History(sealed=sealed)
    for _ in _build(history, target_events, seed):
        if len(history.envelopes) >= chunk:
            yield from history.envelopes
            history.envelopes.clear()
    yield from history.envelopes
    history.envelopes.clear()


def stream_wire(envelopes: Iterable[EventEnvelope]) -> Iterator[tuple[bytes, bytes, bool]]:
    """(key, value, is_broadcast) per envelope, as the relay publishes them."""
    for envelope in envelopes:
        key, value = wire(envelope)
        yield key, value, envelope.subject_nip == BROADCAST_KEY
