"""Appraisal projection tables. Portable: the same schema lives in PostgreSQL (live) and in
PostgreSQL or SQLite (rebuilds). Created by the Alembic migrations next to this file."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

consumer_positions = Table(
    "consumer_positions", metadata,
    Column("topic", Text, primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Column("last_recorded_at", DateTime(timezone=True)),
)

employees = Table(
    "employees", metadata,
    Column("nip", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("position", Text, nullable=False),
    Column("structural", Boolean, nullable=False),
    Column("employment_type", Text, nullable=False),
    Column("job_class", SmallInteger, nullable=False),
    Column("partition", Integer, nullable=False),
)

reporting_lines = Table(
    "reporting_lines", metadata,
    Column("nip", Text, primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("superior_nip", Text),
)

activities = Table(
    "activities", metadata,
    Column("activity_id", Text, primary_key=True),
    Column("nip", Text, nullable=False),
    Column("superior_nip", Text),
    Column("work_date", Date, nullable=False),
    Column("period", Text, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("external_ref", Text),
    Column("status", Text, nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("note", Text),
    Column("position", BigInteger, nullable=False),
    Index("activities_pending", "superior_nip", "status"),
    Index("activities_owner", "nip", "period"),
)

activity_history = Table(
    "activity_history", metadata,
    Column("activity_id", Text, primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("status", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
)

employee_months = Table(
    "employee_months", metadata,
    Column("nip", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("pending_minutes", Integer, nullable=False),
    Column("approved_minutes", Integer, nullable=False),
    Column("rejected_minutes", Integer, nullable=False),
    Column("revision_minutes", Integer, nullable=False),
    Column("activities", Integer, nullable=False),
    # migration appraisal_0003: still waiting when the period closed (not validated in time)
    Column("not_validated_minutes", Integer, nullable=False, server_default="0"),
)

behaviour_reviews = Table(
    "behaviour_reviews", metadata,
    Column("period", Text, primary_key=True),
    Column("ratee_nip", Text, primary_key=True),
    Column("rater_nip", Text, primary_key=True),
    Column("relation", Text, nullable=False),
    Column("scores", JSON, nullable=False),
    Column("position", BigInteger, nullable=False),
)

policies = Table(
    "policies", metadata,
    Column("version", Text, primary_key=True),
    Column("effective_from", Text, nullable=False),
    Column("document", JSON, nullable=False),
    Column("position", BigInteger, nullable=False),
)

periods = Table(
    "closed_periods", metadata,
    Column("period", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
)

eligibility = Table(
    "eligibility", metadata,
    Column("nip", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("unit", Text, nullable=False),
    Column("policy_version", Text, nullable=False),
    Column("approved_minutes", Integer, nullable=False),
    Column("target_minutes", Integer, nullable=False),
    Column("results_pct", Float, nullable=False),
    Column("behaviour_score", Float),
    Column("score", Float, nullable=False),
    Column("category", Text, nullable=False),
    Column("allowance_pct", Float, nullable=False),
    Column("state", Text, nullable=False),
    Column("reasons", JSON, nullable=False),
    Index("eligibility_period_unit", "period", "unit"),
)

PROJECTION_TABLES = [employees, reporting_lines, activities, activity_history, employee_months,
                     behaviour_reviews, policies, periods, eligibility]
"""Tables that are a pure function of the event history (compared by verify)."""

# -- dead letters and held keys (migration appraisal_0002) -----------------------------------
# Consumer bookkeeping, not projections: never part of PROJECTION_TABLES or of a checksum.

_Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys only

dead_letters = Table(
    "dead_letters", metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("key", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("event_type", Text),
    Column("position", BigInteger),
    Column("status", Text, nullable=False),  # open | retried | skipped
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", Text),
    UniqueConstraint("topic", "partition", "offset", name="dead_letters_source"),
    Index("dead_letters_open", "topic", "partition", "status"),
)
"""Records the consumer could not apply. While one is open its key is held on its partition."""

parked_records = Table(
    "parked_records", metadata,
    Column("topic", Text, primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, primary_key=True),
    Column("key", Text, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("position", BigInteger),
    Column("parked_at", DateTime(timezone=True), nullable=False),
    Index("parked_records_key", "topic", "key"),
)
"""Records held back behind an open dead letter, in offset order, applied when it is resolved."""

CONSUMER_TABLES = [consumer_positions, dead_letters, parked_records]
"""Consumer bookkeeping (not a function of the event history alone)."""
