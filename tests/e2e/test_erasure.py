"""Erasure on the whole system: a person with a distinctive name and a superior's note with
distinctive text go in; the bytes on disk (the event store's and the projections' PostgreSQL
data files after a CHECKPOINT, the events topic's Kafka log segments, a fresh SQLite replay)
never hold either in the clear; the API shows them while the key lives. An erasure request
waits for the policy's retention; intake restarted on a later day (the controllable clock)
destroys the key; then the API shows ``[erased]``, no source yields the name or the note,
and ``audit verify`` and ``audit replay`` still pass over the same, unchanged chain.

Control, so the grep can fail: the same events' non-personal fields (the unit code, the
activity's description) carry distinctive markers of their own, and every source must
yield those markers, and the sealed values of the person, before and after."""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from shared.policy import default_policy_path, load_policy
from tests.e2e.conftest import REPO, Restart
from tests.e2e.support import System, eventually

pytestmark = pytest.mark.e2e

BOSS = "196911231994031005"
STAFF = "198807172014042003"  # this module's own: the session's key store is shared
RUN = uuid.uuid4().hex[:10]
NAME = f"Kartikasari Wulandanu {RUN}"
NOTE = f"Catatan rahasia tentang kinerja {RUN[::-1]}"
UNIT = f"E2E-ERASE-{RUN}"
DESCRIPTION = f"Verifikasi berkas {RUN}-clear"
SEALED_MARK = f"enc:v1:{STAFF}:".encode()
ERASED = "[erased]"


@pytest.fixture(scope="module")
def clock_at() -> str:
    return "2026-05-20T10:00:00+07:00"


def _psql(sql: str) -> str:
    socket = os.environ.get("ERK_PG_SOCKET_DIR")
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", *(["-h", socket] if socket else []),
         "-p", os.environ.get("ERK_PG_PORT", "5432"), "-v", "ON_ERROR_STOP=1", "-qtAX",
         "-c", sql], cwd="/", capture_output=True, text=True, check=True)
    return done.stdout.strip()


async def database_bytes(url: str) -> bytes:
    """Every data file of the database at ``url`` after a CHECKPOINT: what is on disk."""
    parsed = make_url(url)
    conn = await asyncpg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                                 password=parsed.password, database=parsed.database)
    try:
        oid = await conn.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
    finally:
        await conn.close()
    await asyncio.to_thread(_psql, "CHECKPOINT")
    data_dir = await asyncio.to_thread(_psql, "SHOW data_directory")
    # the data directory is the postgres user's: tar streams its files' raw bytes
    done = await asyncio.to_thread(
        subprocess.run, ["runuser", "-u", "postgres", "--", "tar", "-cf", "-", "-C",
                         f"{data_dir}/base/{oid}", "."], cwd="/", capture_output=True,
        check=True)
    return done.stdout


def topic_bytes(topic: str) -> bytes:
    """Every log segment of ``topic`` in the stack's Kafka data directory."""
    data = REPO / ".local" / "kafka" / "data"
    segments = sorted(data.glob(f"{topic}-*/*.log"))
    assert segments, f"no log segments of {topic} under {data}"
    return b"".join(path.read_bytes() for path in segments)


async def audit(system: System, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "services.appraisal.entrypoints.audit_cli", *args]
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True,
                                   cwd=REPO, env=system.env)


async def replay_bytes(system: System, tmp: Path) -> bytes:
    target = tmp / f"replay-{uuid.uuid4().hex[:6]}.db"
    done = await audit(system, "replay", "--from", "store", "--store-url", system.intake_db,
                       "--topic", system.topics.events, "--into",
                       f"sqlite+aiosqlite:///{target}")
    assert done.returncode == 0, done.stdout + done.stderr
    return target.read_bytes()


async def sources(system: System, tmp: Path) -> dict[str, bytes]:
    return {"event store": await database_bytes(system.intake_db),
            "projections": await database_bytes(system.appraisal_db),
            "kafka": await asyncio.to_thread(topic_bytes, system.topics.events),
            "sqlite replay": await replay_bytes(system, tmp)}


def check_sources(found: dict[str, bytes]) -> None:
    for where, data in found.items():
        assert UNIT.encode() in data, f"control: the unit code is not in the {where}"
        assert SEALED_MARK in data, f"control: no sealed value of the person in the {where}"
        assert NAME.encode() not in data, f"the name is in the clear in the {where}"
        assert NOTE.encode() not in data, f"the note is in the clear in the {where}"
    for where in ("event store", "kafka"):  # the projections keep no description
        assert DESCRIPTION.encode() in found[where], f"control: no description in {where}"


async def test_erasure_leaves_no_personal_data_and_keeps_the_chain(
        system: System, restart: Restart, tmp_path: Path) -> None:
    admin = system.auth("admin", "admin")
    policy = load_policy(default_policy_path()).model_copy(update={
        "version": "e2e-erasure-1", "effective_from": "2026-05",
        "personal_data_retention_days": 30})
    activity_id = str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=system.intake_url, timeout=10) as intake, \
            httpx.AsyncClient(base_url=system.appraisal_url, timeout=10) as appraisal:
        await _setup(system, intake, policy.model_dump(mode="json"), activity_id)

        async def shown(name: str, note: str) -> None:
            employee = await appraisal.get(f"/v1/employees/{STAFF}", headers=admin)
            assert employee.status_code == 200, employee.text
            assert employee.json()["name"] == name
            activity = await appraisal.get(f"/v1/activities/{activity_id}", headers=admin)
            assert activity.status_code == 200, activity.text
            assert activity.json()["note"] == note, activity.json()

        await eventually(lambda: shown(NAME, NOTE), within=20)
        check_sources(await sources(system, tmp_path))

        asked = await intake.post(f"/v1/employees/{STAFF}/erasure", headers=admin, json={
            "legal_basis": "UU PDP art. 8", "reference": f"ND-{RUN}"})
        assert asked.status_code == 201, asked.text
        assert asked.json()["status"] == "requested"
        assert asked.json()["due_on"] == "2026-06-19"
        await eventually(lambda: shown(NAME, NOTE), within=5)  # kept for the retention

        await restart("intake", ERK_CLOCK_AT="2026-06-20T10:00:00+07:00")
        await eventually(lambda: shown(ERASED, ERASED), within=20)
        boss = await appraisal.get(f"/v1/employees/{BOSS}", headers=admin)
        assert boss.json()["name"] == "Bambang Erasmus"  # nobody else is touched
    check_sources(await sources(system, tmp_path))
    verified = await audit(system, "verify", "--store-url", system.intake_db, "--live-url",
                           system.appraisal_db, "--topic", system.topics.events)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "VERIFIED" in verified.stdout


async def _setup(system: System, intake: httpx.AsyncClient, policy: dict[str, Any],
                 activity_id: str) -> None:
    admin = system.auth("admin", "admin")
    published = await intake.post("/v1/policies", headers=admin, json=policy)
    assert published.status_code == 201, published.text
    for nip, name, structural in ((BOSS, "Bambang Erasmus", True), (STAFF, NAME, False)):
        registered = await intake.post("/v1/employees", headers=admin, json={
            "nip": nip, "name": name, "unit": UNIT, "position": "Pelaksana",
            "structural": structural, "employment_type": "PNS", "job_class": 7})
        assert registered.status_code == 201, registered.text
    line = await intake.post("/v1/reporting-lines", headers=admin, json={
        "nip": STAFF, "superior_nip": BOSS, "effective_from": "2020-01-01"})
    assert line.status_code == 201, line.text
    reported = await intake.post("/v1/activities", headers=system.auth(STAFF, "employee"),
                                 json={"activity_id": activity_id, "nip": STAFF,
                                       "work_date": "2026-05-20", "minutes": 120,
                                       "description": DESCRIPTION})
    assert reported.status_code == 201, reported.text
    decided = await intake.post(f"/v1/activities/{activity_id}/decision",
                                headers=system.auth(BOSS, "superior"),
                                json={"decision": "revision_requested", "note": NOTE})
    assert decided.status_code == 201, decided.text
