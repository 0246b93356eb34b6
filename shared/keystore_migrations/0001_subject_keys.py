"""The key store: one wrapped data key (or a tombstone) per data subject.

Revision ID: keys_0001
"""

from alembic import op

revision = "keys_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE subject_keys (
            subject text PRIMARY KEY,
            wrapped bytea,
            created_at timestamptz NOT NULL,
            destroyed_at timestamptz,
            CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE subject_keys")
