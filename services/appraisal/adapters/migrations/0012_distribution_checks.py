"""The distribution-curve checks recorded before a period's close (DistributionChecked):
one row per check, with the position it reflects, its outcome and what the close did.

Revision ID: appraisal_0012
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0012"
down_revision = "appraisal_0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "distribution_checks",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
        sa.Column("reflects_position", sa.BigInteger, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("close_action", sa.Text, nullable=False),
        sa.Column("units", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("distribution_checks")
