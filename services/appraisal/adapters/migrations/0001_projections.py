"""Initial projection schema.

Revision ID: appraisal_0001
"""

from alembic import op

from services.appraisal.adapters.tables import metadata

revision = "appraisal_0001"
down_revision = None
branch_labels = ("appraisal",)
depends_on = None

# The initial revision builds the schema from the table module as it stood at this revision.
# Any later change to services/appraisal/adapters/tables.py needs its own revision file.


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
