"""Database plumbing both services use: engines and migrations."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_ALEMBIC_ENV = Path(__file__).parent / "alembic"


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """An async engine; SQLite files get no pool settings (they do not take them)."""
    if url.startswith("sqlite"):
        return create_async_engine(url)
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def migrate(url: str, versions: Path, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` with the migrations in ``versions``.

    Synchronous on purpose (Alembic runs its own event loop): call it from a CLI or a thread.
    """
    config = Config()
    config.set_main_option("script_location", str(_ALEMBIC_ENV))
    config.set_main_option("path_separator", "os")  # paths may contain spaces
    config.set_main_option("version_locations", str(versions))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)
