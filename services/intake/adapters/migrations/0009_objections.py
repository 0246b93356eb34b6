"""Objections (keberatan): one per employee and month, who decides it, whether decided.

Revision ID: intake_0009
"""

from alembic import op

revision = "intake_0009"
down_revision = "intake_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE objections (
            nip text NOT NULL,
            period text NOT NULL,
            decider_nip text NOT NULL,
            decided boolean NOT NULL,
            PRIMARY KEY (nip, period)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE objections")
