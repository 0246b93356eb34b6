"""Acting superiors (Plt / Plh): who acts in which head's place, and on which days.

Revision ID: intake_0006
"""

from alembic import op

revision = "intake_0006"
down_revision = "intake_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE acting_appointments (
            head_nip text NOT NULL,
            valid_from date NOT NULL,
            acting_nip text NOT NULL,
            kind text NOT NULL,
            valid_to date NOT NULL,
            PRIMARY KEY (head_nip, valid_from)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE acting_appointments")
