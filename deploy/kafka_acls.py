#!/usr/bin/env python3
"""Creates the broker's ACLs (shared/broker_acls.py) as admin; run by `deploy/stack up`
after deploy/check.py made the topics. Idempotent: the broker keeps one copy of a rule
created twice. Connects like every client (ERK_KAFKA_*, .local/env: admin) and prints what
each principal may do.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: shared/

from shared.broker_acls import service_acls
from shared.kafka_acls import create_acls
from shared.settings import KafkaSettings


async def main() -> None:
    acls = service_acls()
    await create_acls(KafkaSettings().access(), acls)
    for acl in acls:
        star = "*" if acl.pattern_type == "PREFIXED" else ""
        print(f"kafka: ALLOW {acl.principal} {acl.operation} {acl.resource_type} "
              f"{acl.resource}{star}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
