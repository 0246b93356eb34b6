"""Attendance: the records of attendance sources (idempotent on source and device record
id) and the employees' absence justifications.

Revision ID: intake_0007
"""

from alembic import op

revision = "intake_0007"
down_revision = "intake_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE attendance_records (
            source text NOT NULL,
            device_record_id text NOT NULL,
            nip text NOT NULL,
            day date NOT NULL,
            kind text NOT NULL,
            time text,
            reason text,
            event_id uuid NOT NULL,
            PRIMARY KEY (source, device_record_id)
        )""")
    op.execute("CREATE INDEX attendance_records_nip_day ON attendance_records (nip, day)")
    op.execute("""
        CREATE TABLE absence_justifications (
            justification_id uuid NOT NULL PRIMARY KEY,
            nip text NOT NULL,
            first_day date NOT NULL,
            last_day date NOT NULL,
            reason text NOT NULL,
            evidence_ref text NOT NULL,
            status text NOT NULL,
            version integer NOT NULL,
            event_id uuid NOT NULL
        )""")
    op.execute("CREATE INDEX absence_justifications_nip "
               "ON absence_justifications (nip, first_day)")


def downgrade() -> None:
    op.execute("DROP TABLE absence_justifications")
    op.execute("DROP TABLE attendance_records")
