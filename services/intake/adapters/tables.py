"""Intake tables: the append-only event store and the write model the checks read.

The schema itself is created by the Alembic migrations next to this file; these definitions
match what they create (constraints and indexes included), which a test checks.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared import checkpoint_store, history

metadata = MetaData()

# The event store's schema is part of the contract with auditors: one definition, in shared.
events = history.events
# ... and so are the signed checkpoints of its chain (copied into intake's metadata).
checkpoints = checkpoint_store.checkpoints.to_metadata(metadata)

relay_checkpoint = Table(
    "relay_checkpoint",
    metadata,
    Column("name", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
)

employees = Table(
    "employees",
    metadata,
    Column("nip", Text, primary_key=True),
    Column("unit", Text, nullable=False),
    Column("position", Text, nullable=False),
    Column("structural", Boolean, nullable=False),
    Column("employment_type", Text, nullable=False),
    Column("job_class", SmallInteger, nullable=False),
    Column("version", Integer, nullable=False),
)

reporting_lines = Table(
    "reporting_lines",
    metadata,
    Column("nip", Text, primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("superior_nip", Text),
    Index("reporting_lines_superior", "superior_nip"),
)

acting_appointments = Table(
    "acting_appointments",
    metadata,
    Column("head_nip", Text, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("acting_nip", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("valid_to", Date, nullable=False),
)
"""Acting superiors (Plt / Plh); a head's appointments never overlap, so the first day
keys them."""

payments = Table(
    "payments",
    metadata,
    Column("period", Text, primary_key=True),
    Column("unit", Text, primary_key=True),
    Column("stream_version", Integer, nullable=False),
)
"""How many payment orders (SP2D) were recorded for a unit's month: its stream's version."""

activities = Table(
    "activities",
    metadata,
    Column("activity_id", UUID(as_uuid=True), primary_key=True),
    Column("nip", Text, nullable=False),
    Column("work_date", Date, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("external_ref", Text),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    # as first reported, once a revision changed work_date or minutes (else NULL)
    Column("reported_work_date", Date),
    Column("reported_minutes", Integer),
    UniqueConstraint("source", "external_ref", name="activities_source_ref"),
    Index("activities_nip_day", "nip", "work_date"),
)

periods = Table(
    "periods",
    metadata,
    Column("period", Text, primary_key=True),
    Column("closed_at", DateTime(timezone=True), nullable=False),
)

policies = Table(
    "policies",
    metadata,
    Column("version", Text, primary_key=True),
    Column("effective_from", Text, nullable=False),
    Column("document", JSONB, nullable=False),
    Column("stream_version", Integer, nullable=False),
)

behaviour_reviews = Table(
    "behaviour_reviews",
    metadata,
    Column("period", Text, primary_key=True),
    Column("rater_nip", Text, primary_key=True),
    Column("ratee_nip", Text, primary_key=True),
    Column("version", Integer, nullable=False),
)

attendance_records = Table(
    "attendance_records",
    metadata,
    Column("source", Text, primary_key=True),
    Column("device_record_id", Text, primary_key=True),
    Column("nip", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("kind", Text, nullable=False),
    Column("time", Text),
    Column("reason", Text),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Index("attendance_records_nip_day", "nip", "day"),
)
"""Attendance records by (source, device record id): idempotency and the day's order."""

absence_justifications = Table(
    "absence_justifications",
    metadata,
    Column("justification_id", UUID(as_uuid=True), primary_key=True),
    Column("nip", Text, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence_ref", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Index("absence_justifications_nip", "nip", "first_day"),
)
"""Absence justifications and where they stand (pending, approved, rejected)."""

objections = Table(
    "objections",
    metadata,
    Column("nip", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("decider_nip", Text, nullable=False),
    Column("decided", Boolean, nullable=False),
)
"""Objections (keberatan): one per employee and month; who decides, whether decided."""

erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("nip", Text, primary_key=True),
    Column("reference", Text, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("erased_on", Date),
    Index("erasure_requests_pending", "due_on", postgresql_where=text("erased_on IS NULL")),
)
"""Erasure requests (UU PDP): when each becomes due, and whether it was done."""

day_minutes = Table(
    "day_minutes",
    metadata,
    Column("nip", Text, primary_key=True),
    Column("work_date", Date, primary_key=True),
    Column("minutes", Integer, nullable=False),
)
"""Minutes per employee and day that still count (all but rejected activities)."""
