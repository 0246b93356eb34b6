"""The event store's table of signed checkpoints, for the checkpointer (writes) and auditors
(reads). Append-only like the events (a trigger refuses updates and deletes); described here
so that the shared package does not depend on the intake service (``shared.history`` does
the same for the events). Created by intake's migration ``intake_0005``.
"""

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    Table,
    Text,
    inspect,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.checkpoints import Checkpoint, SignedCheckpoint

checkpoints = Table(
    "checkpoints", MetaData(),
    Column("position", BigInteger, primary_key=True),
    Column("log_id", LargeBinary, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("key_id", Text, nullable=False),
    Column("signature", LargeBinary, nullable=False),
)


def row_of(signed: SignedCheckpoint) -> dict[str, Any]:
    cp = signed.checkpoint
    return {"position": cp.position, "log_id": cp.log_id, "hash": cp.hash,
            "signed_at": cp.signed_at, "key_id": cp.key_id, "signature": signed.signature}


def signed_of(row: Any) -> SignedCheckpoint:
    return SignedCheckpoint(
        Checkpoint(bytes(row["log_id"]), row["position"], bytes(row["hash"]),
                   row["signed_at"], row["key_id"]),
        bytes(row["signature"]))


async def last_checkpoint(conn: AsyncConnection) -> SignedCheckpoint | None:
    row = (await conn.execute(select(checkpoints).order_by(checkpoints.c.position.desc())
                              .limit(1))).mappings().first()
    return signed_of(row) if row else None


async def checkpoints_after(conn: AsyncConnection, position: int) -> list[SignedCheckpoint]:
    rows = (await conn.execute(select(checkpoints).where(checkpoints.c.position > position)
                               .order_by(checkpoints.c.position))).mappings().all()
    return [signed_of(row) for row in rows]


async def stored_checkpoints(engine: AsyncEngine) -> list[SignedCheckpoint]:
    """Every stored checkpoint, in position order; none from a store without the table (one
    from before ``intake_0005``, or whose table was dropped: the Kafka copy then shows)."""
    async with engine.connect() as conn:
        if not await conn.run_sync(lambda sync: inspect(sync).has_table("checkpoints")):
            return []
        return await checkpoints_after(conn, 0)
