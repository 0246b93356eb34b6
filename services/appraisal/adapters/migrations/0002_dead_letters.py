"""Dead letters and parked records (held keys).

Revision ID: appraisal_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0002"
down_revision = "appraisal_0001"
branch_labels = None
depends_on = None

# Frozen, like every revision: the tables as they stood here, not the live table module.
# (Until the revisions were frozen, appraisal_0001 created these two tables as well; every
# database that ran it that way is past this revision already.)

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite autoincrements INTEGER only


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("event_type", sa.Text),
        sa.Column("position", sa.BigInteger),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_by", sa.Text),
        sa.UniqueConstraint("topic", "partition", "offset", name="dead_letters_source"),
    )
    op.create_index("dead_letters_open", "dead_letters", ["topic", "partition", "status"])
    op.create_table(
        "parked_records",
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("offset", sa.BigInteger, primary_key=True),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("position", sa.BigInteger),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("parked_records_key", "parked_records", ["topic", "key"])


def downgrade() -> None:
    op.drop_table("parked_records")
    op.drop_table("dead_letters")
