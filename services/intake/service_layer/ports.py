"""The ports the handlers depend on; the adapters (PostgreSQL, in memory) implement them.

A unit of work is one serialised transaction. Inside it the handlers read facts
(:class:`FactReader`), record events (:class:`EventRecorder`) and change the write model the
checks read (:class:`WriteModel`). Facts reflect the unit's own writes at once, so a later
command in the same unit sees an earlier one (a repeated activity id, a day's total). On
commit the events are appended in one global order; on failure nothing stays.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self

from services.intake.domain import commands as c
from services.intake.domain.activity import Activity
from services.intake.domain.attendance import AttendanceFacts, JustificationFacts
from services.intake.domain.curve_check import DistributionReading
from services.intake.domain.erasure import ErasureFacts
from services.intake.domain.facts import EmployeeFacts, ObjectionFacts
from shared.auth import Principal
from shared.authority import ActingAppointment
from shared.checkpoints import SignedCheckpoint
from shared.envelope import EventEnvelope
from shared.events import Event
from shared.history import StoredRow
from shared.policy import Policy


class ConcurrencyConflict(Exception):
    """Another writer already wrote this stream version; decide again on fresh state."""


@dataclass
class Context:
    """Who asked, and which request; copied into every envelope."""

    principal: Principal
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Recorded:
    """An event waiting for its position; the position is set when the unit commits."""

    envelope: EventEnvelope
    position: int | None = None


@dataclass(frozen=True)
class Wanted:
    """The facts a group of commands will read, for a set-based load ahead of them."""

    activity_ids: frozenset[uuid.UUID] = frozenset()
    refs: frozenset[tuple[str, str]] = frozenset()
    """(source, external_ref) pairs."""
    nips: frozenset[str] = frozenset()
    days: frozenset[tuple[str, date]] = frozenset()
    """(nip, work_date) pairs whose counted minutes are read."""
    periods: frozenset[str] = frozenset()


class FactReader(Protocol):
    """What the checks read: the write model as of this unit, its own writes included."""

    async def prefetch(self, wanted: Wanted) -> None:
        """Load ``wanted`` in a few set-based queries; the reads below then hit memory."""

    async def employee(self, nip: str) -> EmployeeFacts | None: ...
    async def employee_version(self, nip: str) -> int:
        """The version of the employee's stream (0: none yet)."""

    async def superior_on(self, nip: str, day: date) -> str | None:
        """The direct superior by the reporting line in force on ``day``."""

    async def acting_appointments(self, head_nip: str) -> list[ActingAppointment]:
        """Every acting appointment made for the head, oldest first (its stream's length)."""

    async def activity(self, activity_id: uuid.UUID) -> Activity | None: ...
    async def activity_by_ref(self, source: str, external_ref: str) -> Activity | None: ...
    async def minutes_on(self, nip: str, day: date) -> int:
        """The minutes counted on the employee's day (see ``Activity.counted_minutes``)."""

    async def close_recorded(self, period: str) -> bool:
        """Whether the period's ``PeriodClosed`` is recorded."""

    async def recorded_closes(self) -> set[str]: ...
    async def policies(self) -> list[Policy]:
        """Every published policy, in publication order."""

    async def policy_document(self, version: str) -> dict[str, Any] | None: ...
    async def policy_stream_version(self) -> int: ...
    async def stream_events(self, stream_id: str) -> list[Event]:
        """The committed events of one stream, in stream order (an SKP's state is their
        fold; this unit's own records are not among them)."""

    async def review_version(self, period: str, rater_nip: str, ratee_nip: str) -> int:
        """The version of the rater's review stream of the ratee for the month."""

    async def attendance_record(self, source: str, device_record_id: str) -> (
        AttendanceFacts | None
    ): ...
    async def attendance_on(self, nip: str, day: date) -> list[AttendanceFacts]:
        """The employee's attendance records of ``day``, any source."""

    async def justification(self, justification_id: uuid.UUID) -> JustificationFacts | None: ...
    async def justifications_of(self, nip: str, period: str) -> list[JustificationFacts]:
        """The employee's justifications whose first day lies in ``period``."""

    async def payment_version(self, period: str, unit: str) -> int:
        """The version of a unit's payment stream for the month (0: no SP2D recorded)."""

    async def erasure(self, nip: str) -> ErasureFacts | None:
        """The person's erasure request, if any."""
        ...

    async def erasures_due(self, today: date) -> list[ErasureFacts]:
        """Erasure requests whose retention has passed by ``today`` and not done yet."""
        ...

    async def objection(self, nip: str, period: str) -> ObjectionFacts | None:
        """The employee's objection to the month, if one was filed."""


class EventRecorder(Protocol):
    """Records events on streams; envelopes are built from the current ``context``."""

    context: Context

    def record(self, event: Event, stream_id: str, stream_version: int, subject_nip: str,
               occurred_at: datetime | None = None) -> Recorded: ...


class WriteModel(Protocol):
    """The state the checks read, kept beside the events in the same transaction."""

    async def save_employee(self, employee: c.RegisterEmployee, version: int) -> None: ...
    async def set_employee_version(self, nip: str, version: int) -> None: ...
    async def save_reporting_line(self, line: c.ChangeReportingLine) -> None: ...
    async def save_acting_appointment(self, appointment: ActingAppointment) -> None: ...
    async def save_payment_version(self, period: str, unit: str, version: int) -> None: ...
    def add_activity(self, activity: Activity) -> None:
        """A newly reported activity (written in bulk when the unit commits)."""

    async def save_activity(self, activity: Activity) -> None:
        """A known activity's new state (decided, revised)."""

    def count_minutes(self, nip: str, day: date, change: int) -> None:
        """Add ``change`` to the minutes counted on the employee's day."""

    async def save_review_version(self, period: str, rater_nip: str, ratee_nip: str,
                                  version: int) -> None: ...
    async def record_close(self, period: str, closed_at: datetime) -> None: ...
    async def save_objection(self, objection: ObjectionFacts) -> None: ...
    async def save_erasure(self, erasure: ErasureFacts) -> None: ...
    async def save_policy(self, policy: Policy, document: dict[str, Any],
                          stream_version: int) -> None: ...
    async def add_attendance(self, record: AttendanceFacts) -> None: ...
    async def save_justification(self, justification: JustificationFacts) -> None:
        """A new justification, or a known one's new status and version."""


class UnitOfWork(EventRecorder, Protocol):
    """One transaction: commits on a clean exit (appending the recorded events, or raising
    :class:`ConcurrencyConflict` and keeping nothing), rolls back on an exception."""

    @property
    def facts(self) -> FactReader: ...
    @property
    def writes(self) -> WriteModel: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None: ...


NewUnit = Callable[[Context], UnitOfWork]
"""Opens a unit of work for a context."""

ReadFacts = Callable[[], AbstractAsyncContextManager[FactReader]]
"""Facts as committed, read outside any unit (no append lock taken)."""


class CheckpointLog(Protocol):
    """The stored side of the checkpointer: the chain, the signed checkpoints (one per
    position) and the last one Kafka confirmed."""

    async def last_and_head(self) -> tuple[SignedCheckpoint | None, int]:
        """The last stored checkpoint and the store's head position (0 when empty)."""

    def rows(self, after: int, upto: int) -> AsyncIterator[StoredRow]:
        """The stored events after position ``after`` up to ``upto``, in order."""

    async def store_unless_signed(self, signed: SignedCheckpoint) -> bool:
        """Store ``signed`` unless a checkpoint at or past its position exists (another
        process signed meanwhile). Whether it was stored."""

    async def unpublished(self) -> list[SignedCheckpoint]:
        """Stored checkpoints after the last one Kafka confirmed, in order."""

    async def confirm_published(self, position: int) -> None: ...


class CheckpointPublisher(Protocol):
    async def publish(self, checkpoints: list[SignedCheckpoint]) -> None:
        """Publish in order; returns once the broker acknowledged every one."""


OpenPublisher = Callable[[], AbstractAsyncContextManager[CheckpointPublisher]]
"""Connects a publisher (to the checkpoints topic) for as long as the context lasts."""


class DistributionUnavailable(Exception):
    """Appraisal's distribution read could not be had (down, too slow, or an answer that is
    not one); the close records nothing and may be tried again."""


class DistributionSource(Protocol):
    """Appraisal's distribution-curve check of a period, read just before its close."""

    async def read(self, period: str) -> DistributionReading:
        """The check as appraisal's projections stand; raises :class:`DistributionUnavailable`."""
