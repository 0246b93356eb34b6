"""Minutes of activities not validated in time: still pending (or sent back and not
resubmitted) when their period closed.

Activities of periods closed before this revision keep their old status: the new rule is a
change of the projection, so rebuild it (``erk-appraisal audit build-version``, then
``audit swap``) to apply it to earlier closes; ``audit verify`` shows the difference until then.

Revision ID: appraisal_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0003"
down_revision = "appraisal_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("employee_months", sa.Column(
        "not_validated_minutes", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("employee_months") as batch:  # SQLite rebuilds the table
        batch.drop_column("not_validated_minutes")
