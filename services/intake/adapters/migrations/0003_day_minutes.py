"""Running minute totals per employee and day, so the plausibility check of a day's total
reads one row instead of summing every activity of that day (an e-Samsat counter officer
reports dozens a day).

Revision ID: intake_0003
"""

from alembic import op

revision = "intake_0003"
down_revision = "intake_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""CREATE TABLE day_minutes (
        nip text NOT NULL, work_date date NOT NULL, minutes integer NOT NULL,
        PRIMARY KEY (nip, work_date))""")
    op.execute("""INSERT INTO day_minutes
        SELECT nip, work_date, sum(minutes) FROM activities WHERE status <> 'rejected'
        GROUP BY nip, work_date""")


def downgrade() -> None:
    op.execute("DROP TABLE day_minutes")
