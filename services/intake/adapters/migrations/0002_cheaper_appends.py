"""Cheaper appends: payload as json (kept byte for byte, not re-parsed into jsonb) and a
BRIN index on recorded_at (times rise with position, so a block-range index answers "as of"
questions at a fraction of a B-tree's write cost).

Revision ID: intake_0002
"""

from alembic import op

revision = "intake_0002"
down_revision = "intake_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE events ALTER COLUMN payload TYPE json USING payload::json")
    op.execute("DROP INDEX events_recorded_at")
    op.execute("CREATE INDEX events_recorded_at ON events USING brin (recorded_at)")


def downgrade() -> None:
    op.execute("DROP INDEX events_recorded_at")
    op.execute("CREATE INDEX events_recorded_at ON events (recorded_at)")
    op.execute("ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb")
