"""The intake database's Alembic revisions, frozen: each spells out its own tables."""

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent
"""The version folder :func:`shared.db.migrate` runs."""
