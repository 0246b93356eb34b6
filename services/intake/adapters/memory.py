"""In-memory adapters of every intake port: the write model as dictionaries and the event
store as a list, for fast tests of the service layer. They keep the contract the
PostgreSQL adapters keep (``tests/integration/test_intake_ports.py`` runs the same tests
against both): units are serialised, see their own writes, commit all or nothing, and a
used stream version is a :class:`ConcurrencyConflict`."""

import asyncio
import contextlib
import copy
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self

from services.intake.domain import commands as c
from services.intake.domain import erasure
from services.intake.domain.activity import Activity
from services.intake.domain.attendance import AttendanceFacts, JustificationFacts
from services.intake.domain.erasure import ErasureFacts
from services.intake.domain.facts import EmployeeFacts, ObjectionFacts
from services.intake.service_layer.ports import (
    ConcurrencyConflict,
    Context,
    FactReader,
    UnitOfWork,
    Wanted,
)
from services.intake.service_layer.recorder import Recorder
from shared.authority import ActingAppointment
from shared.codec import decode_payload
from shared.envelope import EventEnvelope
from shared.events import Event
from shared.policy import Policy, parsed_policy


@dataclass
class Tables:
    employees: dict[str, dict[str, Any]] = field(default_factory=dict)
    reporting_lines: dict[tuple[str, date], str | None] = field(default_factory=dict)
    acting: list[ActingAppointment] = field(default_factory=list)
    activities: dict[uuid.UUID, Activity] = field(default_factory=dict)
    day_minutes: dict[tuple[str, date], int] = field(default_factory=dict)
    review_versions: dict[tuple[str, str, str], int] = field(default_factory=dict)
    payment_versions: dict[tuple[str, str], int] = field(default_factory=dict)
    closes: dict[str, datetime] = field(default_factory=dict)
    policies: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    """version -> (document, stream version)"""
    attendance: dict[tuple[str, str], AttendanceFacts] = field(default_factory=dict)
    justifications: dict[uuid.UUID, JustificationFacts] = field(default_factory=dict)
    objections: dict[tuple[str, str], ObjectionFacts] = field(default_factory=dict)
    erasures: dict[str, ErasureFacts] = field(default_factory=dict)


class InMemoryStore:
    """The committed state: write-model tables and the event log."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.events: list[EventEnvelope] = []
        self._stream_versions: set[tuple[str, int]] = set()
        self.append_lock = asyncio.Lock()
        """Held by a unit from enter to exit: units take turns, as on PostgreSQL."""

    def unit(self, context: Context) -> UnitOfWork:
        return InMemoryUnitOfWork(self, context)

    @contextlib.asynccontextmanager
    async def committed_facts(self) -> AsyncIterator[FactReader]:
        yield InMemoryFacts(copy.deepcopy(self.tables), list(self.events))

    def append(self, batch: Sequence[EventEnvelope]) -> list[EventEnvelope]:
        keys = [(e.stream_id, e.stream_version) for e in batch]
        if len(set(keys)) < len(keys) or self._stream_versions.intersection(keys):
            raise ConcurrencyConflict(f"a stream version of {keys} is used")
        recorded_at = datetime.now(UTC)
        stored = [e.model_copy(update={"position": len(self.events) + n,
                                       "recorded_at": recorded_at})
                  for n, e in enumerate(batch, 1)]
        self.events.extend(stored)
        self._stream_versions.update(keys)
        return stored


class InMemoryUnitOfWork(Recorder):
    facts: "InMemoryFacts"
    writes: "InMemoryWriteModel"

    def __init__(self, store: InMemoryStore, context: Context) -> None:
        super().__init__(context)
        self._store = store
        self._tables = Tables()

    async def __aenter__(self) -> Self:
        await self._store.append_lock.acquire()
        self._tables = copy.deepcopy(self._store.tables)
        self.facts = InMemoryFacts(self._tables, self._store.events)
        self.writes = InMemoryWriteModel(self._tables)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                self.set_positions(self._store.append(self.envelopes()))
                self._store.tables = self._tables
        finally:
            self._store.append_lock.release()


class InMemoryFacts:
    def __init__(self, tables: Tables, events: Sequence[EventEnvelope] = ()) -> None:
        self._t = tables
        self._events = events
        """The committed log: streams are read from it."""

    async def stream_events(self, stream_id: str) -> list[Event]:
        found = sorted((e for e in self._events if e.stream_id == stream_id),
                       key=lambda e: e.stream_version)
        return [decode_payload(e) for e in found]

    async def prefetch(self, wanted: Wanted) -> None:
        """Nothing to load: every fact is in memory."""

    async def employee(self, nip: str) -> EmployeeFacts | None:
        row = self._t.employees.get(nip)
        return EmployeeFacts(nip, row["unit"], row["structural"]) if row else None

    async def employee_version(self, nip: str) -> int:
        return int(self._t.employees.get(nip, {}).get("version", 0))

    async def superior_on(self, nip: str, day: date) -> str | None:
        lines = [(since, superior) for (who, since), superior in self._t.reporting_lines.items()
                 if who == nip and since <= day]
        return max(lines)[1] if lines else None

    async def acting_appointments(self, head_nip: str) -> list[ActingAppointment]:
        return sorted((a for a in self._t.acting if a.head_nip == head_nip),
                      key=lambda a: a.valid_from)

    async def activity(self, activity_id: uuid.UUID) -> Activity | None:
        return self._t.activities.get(activity_id)

    async def activity_by_ref(self, source: str, external_ref: str) -> Activity | None:
        return next((a for a in self._t.activities.values()
                     if (a.source, a.external_ref) == (source, external_ref)), None)

    async def minutes_on(self, nip: str, day: date) -> int:
        return self._t.day_minutes.get((nip, day), 0)

    async def close_recorded(self, period: str) -> bool:
        return period in self._t.closes

    async def recorded_closes(self) -> set[str]:
        return set(self._t.closes)

    async def policies(self) -> list[Policy]:
        published = sorted(self._t.policies.items(), key=lambda item: item[1][1])
        return [parsed_policy(version, document) for version, (document, _) in published]

    async def policy_document(self, version: str) -> dict[str, Any] | None:
        found = self._t.policies.get(version)
        return copy.deepcopy(found[0]) if found else None

    async def policy_stream_version(self) -> int:
        return max((version for _, version in self._t.policies.values()), default=0)

    async def review_version(self, period: str, rater_nip: str, ratee_nip: str) -> int:
        return self._t.review_versions.get((period, rater_nip, ratee_nip), 0)

    async def attendance_record(self, source: str, device_record_id: str) -> (
        AttendanceFacts | None
    ):
        return self._t.attendance.get((source, device_record_id))

    async def attendance_on(self, nip: str, day: date) -> list[AttendanceFacts]:
        return [r for r in self._t.attendance.values() if (r.nip, r.day) == (nip, day)]

    async def justification(self, justification_id: uuid.UUID) -> JustificationFacts | None:
        return self._t.justifications.get(justification_id)

    async def justifications_of(self, nip: str, period: str) -> list[JustificationFacts]:
        return [j for j in self._t.justifications.values()
                if j.nip == nip and j.first_day.isoformat()[:7] == period]

    async def payment_version(self, period: str, unit: str) -> int:
        return self._t.payment_versions.get((period, unit), 0)

    async def objection(self, nip: str, period: str) -> ObjectionFacts | None:
        return self._t.objections.get((nip, period))

    async def erasure(self, nip: str) -> ErasureFacts | None:
        return self._t.erasures.get(nip)

    async def erasures_due(self, today: date) -> list[ErasureFacts]:
        return erasure.due(sorted(self._t.erasures.values(), key=lambda e: e.nip), today)


class InMemoryWriteModel:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def save_employee(self, employee: c.RegisterEmployee, version: int) -> None:
        self._t.employees[employee.nip] = {**employee.model_dump(), "version": version}

    async def set_employee_version(self, nip: str, version: int) -> None:
        if nip in self._t.employees:
            self._t.employees[nip]["version"] = version

    async def save_reporting_line(self, line: c.ChangeReportingLine) -> None:
        self._t.reporting_lines[(line.nip, line.effective_from)] = line.superior_nip

    async def save_acting_appointment(self, appointment: ActingAppointment) -> None:
        self._t.acting.append(appointment)

    async def save_payment_version(self, period: str, unit: str, version: int) -> None:
        self._t.payment_versions[(period, unit)] = version

    def add_activity(self, activity: Activity) -> None:
        self._t.activities[activity.activity_id] = activity

    async def save_activity(self, activity: Activity) -> None:
        self._t.activities[activity.activity_id] = activity

    def count_minutes(self, nip: str, day: date, change: int) -> None:
        self._t.day_minutes[(nip, day)] = self._t.day_minutes.get((nip, day), 0) + change

    async def save_review_version(self, period: str, rater_nip: str, ratee_nip: str,
                                  version: int) -> None:
        self._t.review_versions[(period, rater_nip, ratee_nip)] = version

    async def record_close(self, period: str, closed_at: datetime) -> None:
        self._t.closes[period] = closed_at

    async def save_objection(self, objection: ObjectionFacts) -> None:
        self._t.objections[(objection.nip, objection.period)] = objection

    async def save_erasure(self, request: ErasureFacts) -> None:
        self._t.erasures[request.nip] = request

    async def save_policy(self, policy: Policy, document: dict[str, Any],
                          stream_version: int) -> None:
        self._t.policies[policy.version] = (copy.deepcopy(document), stream_version)

    async def add_attendance(self, record: AttendanceFacts) -> None:
        self._t.attendance[(record.source, record.device_record_id)] = record

    async def save_justification(self, justification: JustificationFacts) -> None:
        self._t.justifications[justification.justification_id] = justification
