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
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared import history

metadata = MetaData()

# The event store's schema is part of the contract with auditors: one definition, in shared.
events = history.events

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
    Column("name", Text, nullable=False),
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

day_minutes = Table(
    "day_minutes",
    metadata,
    Column("nip", Text, primary_key=True),
    Column("work_date", Date, primary_key=True),
    Column("minutes", Integer, nullable=False),
)
"""Minutes per employee and day that still count (all but rejected activities)."""
