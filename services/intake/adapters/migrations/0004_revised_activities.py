"""An activity amended after a revision request keeps what was first reported, so a retry
of the original report (an e-service re-sending its day) is still answered as a retry.
``work_date`` and ``minutes`` hold the activity as it stands; these hold the report's, and
stay NULL until the first revision.

Revision ID: intake_0004
"""

from alembic import op

revision = "intake_0004"
down_revision = "intake_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE activities ADD COLUMN reported_work_date date, "
               "ADD COLUMN reported_minutes integer")


def downgrade() -> None:
    op.execute("ALTER TABLE activities DROP COLUMN reported_work_date, "
               "DROP COLUMN reported_minutes")
