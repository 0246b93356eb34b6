"""Personal data rights: the record of reads of personal data (who read whose data, when,
through which endpoint: what a data subject's access export lists, UU PDP art. 31, 32) and
the restrictions of processing (art. 11).

Revision ID: appraisal_0011
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0011"
down_revision = "appraisal_0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "personal_data_reads",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_nip", sa.Text, nullable=False),
        sa.Column("reader", sa.Text, nullable=False),
        sa.Column("reader_role", sa.Text, nullable=False),
        sa.Column("endpoint", sa.Text, nullable=False),
    )
    op.create_index("personal_data_reads_subject", "personal_data_reads",
                    ["subject_nip", "read_at"])
    op.create_table(
        "processing_restrictions",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("restricted", sa.Boolean, nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("processing_restrictions")
    op.drop_index("personal_data_reads_subject", "personal_data_reads")
    op.drop_table("personal_data_reads")
