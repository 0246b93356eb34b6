"""Dead letters and parked records (held keys).

Revision ID: appraisal_0002
"""

from alembic import op

from services.appraisal.adapters.tables import dead_letters, parked_records

revision = "appraisal_0002"
down_revision = "appraisal_0001"
branch_labels = None
depends_on = None

# appraisal_0001 builds its schema from the live table module, so on a fresh database it has
# already created these tables: create them only where they are missing.


def upgrade() -> None:
    bind = op.get_bind()
    for table in (dead_letters, parked_records):
        table.create(bind, checkfirst=True)


def downgrade() -> None:
    bind = op.get_bind()
    for table in (parked_records, dead_letters):
        table.drop(bind, checkfirst=True)
