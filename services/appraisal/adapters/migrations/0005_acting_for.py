"""Who acted in whose place: a decision or a 360 review by an acting superior (Plt / Plh)
names the head they stood in for. NULL for every earlier row, as their events name nobody.

Revision ID: appraisal_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0005"
down_revision = "appraisal_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activities", sa.Column("acting_for", sa.Text))
    op.add_column("behaviour_reviews", sa.Column("acting_for", sa.Text))


def downgrade() -> None:
    for table in ("activities", "behaviour_reviews"):
        with op.batch_alter_table(table) as batch:  # SQLite rebuilds the table
            batch.drop_column("acting_for")
