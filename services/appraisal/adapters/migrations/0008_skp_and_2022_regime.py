"""PermenPANRB 6/2022: SKPs, their realisation and the rater's decisions, units' own
predicates (distribution curve); eligibility names
its regime (every earlier row: '2013'), and under 2022 the predicate and the ratings, with
no combined score (and no results percentage without an SKP).

Revision ID: appraisal_0008
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0008"
down_revision = "appraisal_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skps",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("superior_nip", sa.Text, nullable=False),
        sa.Column("acting_for", sa.Text),
        sa.Column("results", sa.JSON, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "skp_realisations",
        sa.Column("realisation_id", sa.Text, primary_key=True),
        sa.Column("nip", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("rhk_id", sa.Text, nullable=False),
        sa.Column("indicator_id", sa.Text, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("acting_for", sa.Text),
        sa.Column("feedback", sa.Text),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_index("skp_realisations_owner", "skp_realisations", ["nip", "period"])
    op.create_table(
        "performance_ratings",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("rater_nip", sa.Text, nullable=False),
        sa.Column("acting_for", sa.Text),
        sa.Column("results_override", sa.Text),
        sa.Column("behaviour_override", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "organisational_predicates",
        sa.Column("unit", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("predicate", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    with op.batch_alter_table("eligibility") as batch:  # SQLite rebuilds the table
        batch.add_column(sa.Column("regime", sa.Text, nullable=False, server_default="2013"))
        batch.add_column(sa.Column("predicate", sa.Text))
        batch.add_column(sa.Column("ratings", sa.JSON))
        batch.alter_column("score", existing_type=sa.Float, nullable=True)
        batch.alter_column("results_pct", existing_type=sa.Float, nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("eligibility") as batch:
        batch.alter_column("score", existing_type=sa.Float, nullable=False)
        batch.alter_column("results_pct", existing_type=sa.Float, nullable=False)
        for column in ("ratings", "predicate", "regime"):
            batch.drop_column(column)
    for table in ("organisational_predicates", "performance_ratings", "skp_realisations",
                  "skps"):
        op.drop_table(table)
