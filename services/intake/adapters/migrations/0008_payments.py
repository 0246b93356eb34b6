"""Payment orders (SP2D): how many were recorded for a unit's month (its stream's version).

Revision ID: intake_0008
"""

from alembic import op

revision = "intake_0008"
down_revision = "intake_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE payments (
            period text NOT NULL,
            unit text NOT NULL,
            stream_version integer NOT NULL,
            PRIMARY KEY (period, unit)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE payments")
