"""Initial projection schema: consumer positions and the projection tables.

Revision ID: appraisal_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0001"
down_revision = None
branch_labels = ("appraisal",)
depends_on = None

# Frozen: the tables as they stood at this revision, spelled out (never the live table
# module, which moves on). A later change to tables.py gets a revision of its own.

TABLES = ["consumer_positions", "employees", "reporting_lines", "activities",
          "activity_history", "employee_months", "behaviour_reviews", "policies",
          "closed_periods", "eligibility"]


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consumer_positions",
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
        sa.Column("last_position", sa.BigInteger, nullable=False),
        sa.Column("last_recorded_at", _tz()),
    )
    op.create_table(
        "employees",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("position", sa.Text, nullable=False),
        sa.Column("structural", sa.Boolean, nullable=False),
        sa.Column("employment_type", sa.Text, nullable=False),
        sa.Column("job_class", sa.SmallInteger, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
    )
    op.create_table(
        "reporting_lines",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("superior_nip", sa.Text),
    )
    op.create_table(
        "activities",
        sa.Column("activity_id", sa.Text, primary_key=True),
        sa.Column("nip", sa.Text, nullable=False),
        sa.Column("superior_nip", sa.Text),
        sa.Column("work_date", sa.Date, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("external_ref", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reported_at", _tz(), nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", _tz()),
        sa.Column("note", sa.Text),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_index("activities_pending", "activities", ["superior_nip", "status"])
    op.create_index("activities_owner", "activities", ["nip", "period"])
    op.create_table(
        "activity_history",
        sa.Column("activity_id", sa.Text, primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("at", _tz(), nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "employee_months",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("pending_minutes", sa.Integer, nullable=False),
        sa.Column("approved_minutes", sa.Integer, nullable=False),
        sa.Column("rejected_minutes", sa.Integer, nullable=False),
        sa.Column("revision_minutes", sa.Integer, nullable=False),
        sa.Column("activities", sa.Integer, nullable=False),
    )
    op.create_table(
        "behaviour_reviews",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("ratee_nip", sa.Text, primary_key=True),
        sa.Column("rater_nip", sa.Text, primary_key=True),
        sa.Column("relation", sa.Text, nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "policies",
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("effective_from", sa.Text, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "closed_periods",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "eligibility",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
        sa.Column("approved_minutes", sa.Integer, nullable=False),
        sa.Column("target_minutes", sa.Integer, nullable=False),
        sa.Column("results_pct", sa.Float, nullable=False),
        sa.Column("behaviour_score", sa.Float),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("allowance_pct", sa.Float, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
    )
    op.create_index("eligibility_period_unit", "eligibility", ["period", "unit"])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)  # its indexes go with it
