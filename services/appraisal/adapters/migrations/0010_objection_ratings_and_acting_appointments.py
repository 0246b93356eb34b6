"""Objections under the PermenPANRB 6/2022 regime: an upheld objection may decide the
results and behaviour ratings (below / as / above expectation) instead of the 2013 figures;
existing objections decided none (NULL). Acting appointments (Plt / Plh) on the read side,
so an acting official's objection queue shows the objections waiting for the head they
stand in for (filled by replay from ActingSuperiorAppointed).

Revision ID: appraisal_0010
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0010"
down_revision = "appraisal_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("objections", sa.Column("results_rating", sa.Text))
    op.add_column("objections", sa.Column("behaviour_rating", sa.Text))
    op.create_table(
        "acting_appointments",
        sa.Column("head_nip", sa.Text, primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("acting_nip", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_index("acting_appointments_acting", "acting_appointments", ["acting_nip"])


def downgrade() -> None:
    op.drop_index("acting_appointments_acting", "acting_appointments")
    op.drop_table("acting_appointments")
    with op.batch_alter_table("objections") as batch:  # SQLite rebuilds the table
        batch.drop_column("behaviour_rating")
        batch.drop_column("results_rating")
