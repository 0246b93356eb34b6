"""Objections (keberatan): one per employee and month; the eligibility row names its
objection's status and whether it is payable (final and not under objection; existing final
rows are, as no objection existed before this table). Transfers: each employee's units
from which day on (unit_assignments).

Revision ID: appraisal_0009
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0009"
down_revision = "appraisal_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "objections",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("rater_nip", sa.Text, nullable=False),
        sa.Column("decider_nip", sa.Text, nullable=False),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("acting_for", sa.Text),
        sa.Column("decided_on", sa.Date),
        sa.Column("decision_reason", sa.Text),
        sa.Column("approved_minutes", sa.Integer),
        sa.Column("behaviour_score", sa.Float),
    )
    op.create_index("objections_decider_status", "objections", ["decider_nip", "status"])
    op.add_column("eligibility", sa.Column("objection", sa.Text))
    op.add_column("eligibility", sa.Column("payable", sa.Boolean, nullable=False,
                                           server_default=sa.false()))
    op.execute("UPDATE eligibility SET payable = (state = 'final')")
    op.create_table(
        "unit_assignments",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("unit_assignments")
    with op.batch_alter_table("eligibility") as batch:  # SQLite rebuilds the table
        batch.drop_column("payable")
        batch.drop_column("objection")
    op.drop_index("objections_decider_status", "objections")
    op.drop_table("objections")
