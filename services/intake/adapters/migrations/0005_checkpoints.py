"""Signed checkpoints of the chain head (``shared.checkpoints``), append-only like the
events: the stored copy of what intake's checkpointer also publishes to Kafka.

Revision ID: intake_0005
"""

from alembic import op

revision = "intake_0005"
down_revision = "intake_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""CREATE TABLE checkpoints (
        position   bigint PRIMARY KEY,
        log_id     bytea NOT NULL,
        hash       bytea NOT NULL,
        signed_at  timestamptz NOT NULL,
        key_id     text NOT NULL,
        signature  bytea NOT NULL)""")
    # the same refusal as the events' (intake_0001): updates, deletes, truncation
    op.execute("""CREATE TRIGGER checkpoints_immutable
        BEFORE UPDATE OR DELETE OR TRUNCATE ON checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable()""")


def downgrade() -> None:
    op.execute("DROP TABLE checkpoints")
