"""Payroll: employees' finance data (NPWP, bank account) and the payment orders (SP2D) of
units' months.

Revision ID: appraisal_0007
"""

import sqlalchemy as sa
from alembic import op

revision = "appraisal_0007"
down_revision = "appraisal_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employee_finance",
        sa.Column("nip", sa.Text, primary_key=True),
        sa.Column("npwp", sa.Text, nullable=False),
        sa.Column("bank_name", sa.Text, nullable=False),
        sa.Column("bank_account", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "payments",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("unit", sa.Text, primary_key=True),
        sa.Column("sp2d_number", sa.Text, nullable=False),
        sa.Column("sp2d_date", sa.Date, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("payments")
    op.drop_table("employee_finance")
