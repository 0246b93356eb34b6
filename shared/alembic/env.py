"""Alembic environment shared by both services; each passes its own version folder and URL,
and optionally a PostgreSQL schema to migrate in (a projection version built beside the
live one): its connection then gets that ``search_path``, so the tables and Alembic's own
version table land there."""

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def _run(connection: Connection) -> None:
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    schema = context.config.get_main_option("erk_schema")
    options: dict[str, Any] = {}
    if schema:
        options["connect_args"] = {"server_settings": {"search_path": schema}}
    engine = create_async_engine(context.config.get_main_option("sqlalchemy.url") or "",
                                 **options)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


asyncio.run(_main())
