"""Alembic environment that migrates one PostgreSQL schema (a projection version being
built beside the live one): every connection gets ``search_path`` = that schema, so the
projection tables and Alembic's own version table land there."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def _run(connection: Connection) -> None:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    schema = context.config.get_main_option("erk_schema") or "public"
    engine = create_async_engine(context.config.get_main_option("sqlalchemy.url") or "",
                                 connect_args={"server_settings": {"search_path": schema}})
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


asyncio.run(_main())
