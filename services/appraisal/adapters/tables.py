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
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    Index,
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
