"""Erasure requests (UU PDP), and the roster without names: intake's checks never read an
employee's name, and personal data now lives only sealed in events (shared.personal).

Dropping the column leaves the old names' bytes in the table's dead space until the rows are
rewritten: ``VACUUM FULL employees`` after upgrading a store that held names in the clear
(docs/privacy.md, migrating an existing store).

Revision ID: intake_0010
"""

from alembic import op

revision = "intake_0010"
down_revision = "intake_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE erasure_requests (
            nip text PRIMARY KEY,
            reference text NOT NULL,
            due_on date NOT NULL,
            erased_on date
        )""")
    op.execute("CREATE INDEX erasure_requests_pending ON erasure_requests (due_on) "
               "WHERE erased_on IS NULL")
    op.execute("ALTER TABLE employees DROP COLUMN name")


def downgrade() -> None:
    op.execute("ALTER TABLE employees ADD COLUMN name text NOT NULL DEFAULT ''")
    op.execute("DROP TABLE erasure_requests")
