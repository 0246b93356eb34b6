"""The event id delivered at each recent position of each partition: a re-publication is
skipped only when it carries the same id (issue 10, part 4).

Revision ID: appraisal_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0004"
down_revision = "appraisal_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivered_events",
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("delivered_events")
