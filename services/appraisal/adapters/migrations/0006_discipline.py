"""Attendance and discipline: each employee's attendance days, their absence justifications,
and the discipline month computed from them.

Revision ID: appraisal_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0006"
down_revision = "appraisal_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendance_days",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("check_in", sa.Text),
        sa.Column("check_out", sa.Text),
        sa.Column("absent", sa.Boolean, nullable=False),
        sa.Column("absence_reason", sa.Text),
    )
    op.create_table(
        "absence_justifications",
        sa.Column("justification_id", sa.Text, primary_key=True),
        sa.Column("nip", sa.Text, nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("evidence_ref", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("submitted_on", sa.Date, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("acting_for", sa.Text),
    )
    op.create_index("absence_justifications_nip_day", "absence_justifications",
                    ["nip", "first_day"])
    op.create_table(
        "discipline_months",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
        sa.Column("days_expected", sa.Integer, nullable=False),
        sa.Column("days_present", sa.Integer, nullable=False),
        sa.Column("late_minutes", sa.Integer, nullable=False),
        sa.Column("late_days_by_tier", sa.JSON, nullable=False),
        sa.Column("left_early_minutes", sa.Integer, nullable=False),
        sa.Column("left_early_days_by_tier", sa.JSON, nullable=False),
        sa.Column("absent_justified", sa.Integer, nullable=False),
        sa.Column("absent_unjustified", sa.Integer, nullable=False),
        sa.Column("deduction_pct", sa.Numeric(7, 2), nullable=False),
        sa.Column("percentage", sa.Numeric(5, 2), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("counted_through", sa.Date),
        sa.Column("reasons", sa.JSON, nullable=False),
    )
    op.create_index("discipline_months_period_unit", "discipline_months", ["period", "unit"])


def downgrade() -> None:
    for table in ("discipline_months", "absence_justifications", "attendance_days"):
        op.drop_table(table)
