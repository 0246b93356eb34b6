"""A data subject's rights on the real stack: intake in-process on a fresh store, its relay
onto a fresh topic, the topic applied to a fresh projection database, appraisal's reads on
it. Every allowed read of a person's data is recorded (who, role, endpoint, when), refused
ones are not; the access export (admin HTTP JSON and PDF, and the CLI) holds the person's
roster entry, months, events and reads, and nothing of a 360° rater nor a superior's name."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from flow_world import CreateDb, flow_world
from typer.testing import CliRunner

from services.appraisal.entrypoints.cli import app as appraisal_cli
from shared.clock import FixedClock
from shared.policy import default_policy_path, load_policy
from tests.support.api import at, auth, post

pytestmark = pytest.mark.integration

BOSS, STAFF, PEER, OTHER = ("196804111993031009", "199001012015032001", "198505052010011002",
                            "197512312000121003")
NAMES = {BOSS: "Bapak Kepala Samsat", STAFF: "Siti Aminah", PEER: "Rekan Penilai",
         OTHER: "Orang Lain"}
COMMENT = "Sangat membantu rekan di loket"
CORRECTED = "Orang Lain Binti Ahmad"
ADMIN = auth("admin", "admin")


async def history(client: httpx.AsyncClient, _: FixedClock) -> None:
    for nip, name in NAMES.items():
        await post(client, "/v1/employees", ADMIN, {
            "nip": nip, "name": name, "unit": "SAMSAT-01", "position": "Petugas",
            "structural": nip == BOSS})
    for nip in (STAFF, PEER, OTHER):
        await post(client, "/v1/reporting-lines", ADMIN, {
            "nip": nip, "superior_nip": BOSS, "effective_from": "2026-01-01"})
    activity = str(uuid.uuid4())
    await post(client, "/v1/activities", auth(STAFF, "employee"), {
        "activity_id": activity, "nip": STAFF, "work_date": "2026-02-02", "minutes": 300,
        "description": "Pengesahan STNK"})
    await post(client, f"/v1/activities/{activity}/decision", auth(BOSS, "superior"),
               {"decision": "approved"})
    indicators = load_policy(default_policy_path()).indicators_for(structural=False)
    await post(client, "/v1/reviews", auth(PEER, "employee"), {
        "period": "2026-02", "ratee_nip": STAFF, "comment": COMMENT,
        "scores": {indicator.name: 85 for indicator in indicators}})
    await post(client, "/v1/processing-restrictions", ADMIN, {
        "nip": PEER, "reference": "PDP-1", "reason": "Ketepatan data disanggah"})
    await post(client, "/v1/processing-restrictions", ADMIN, {
        "nip": OTHER, "reference": "PDP-2", "reason": "Keberatan pemrosesan"})
    await post(client, "/v1/processing-restrictions/lift", ADMIN, {
        "nip": OTHER, "reference": "PDP-2/selesai"})
    await post(client, "/v1/employees", ADMIN, {  # a correction: a compensating event
        "nip": OTHER, "name": CORRECTED, "unit": "SAMSAT-01", "position": "Petugas"})
    refused = await client.post("/v1/processing-restrictions", headers=auth(BOSS, "superior"),
                                json={"nip": STAFF, "reference": "x", "reason": "y"})
    assert refused.status_code == 403, refused.text
    unknown = await client.post("/v1/processing-restrictions", headers=ADMIN, json={
        "nip": "198001012005011001", "reference": "x", "reason": "y"})
    assert unknown.json()["error"]["code"] == "unknown_employee"


@pytest.fixture(scope="module")
async def world(create_database: CreateDb) -> AsyncIterator[dict[str, Any]]:
    async with flow_world(create_database, "subject", at(date(2026, 2, 3)), at(date(2026, 2, 4)),
                          history) as made:
        yield made


async def get(world: dict[str, Any], path: str, headers: dict[str, str],
              status: int = 200) -> httpx.Response:
    response = await world["reader"].get(path, headers=headers)
    assert response.status_code == status, response.text
    return response


async def test_reads_are_recorded_and_the_export_discloses_only_the_subjects_data(
        world: dict[str, Any], tmp_path: Path) -> None:
    await get(world, f"/v1/employees/{STAFF}", auth(BOSS, "superior"))
    await get(world, f"/v1/employees/{STAFF}/months/2026-02", auth(STAFF, "employee"))
    await get(world, f"/v1/employees/{STAFF}", auth(PEER, "employee"), 403)  # not a read
    refused = await get(world, f"/v1/employees/{STAFF}/access-export",
                        auth(STAFF, "employee"), 403)
    assert refused.json()["error"]["code"] == "role_not_allowed"

    export = (await get(world, f"/v1/employees/{STAFF}/access-export", ADMIN)).json()
    reads = [(r["reader"], r["reader_role"], r["endpoint"]) for r in export["reads"]]
    assert reads == [(BOSS, "superior", "GET /v1/employees/{nip}"),
                     (STAFF, "employee", "GET /v1/employees/{nip}/months/{period}")]
    assert export["person"]["name"] == NAMES[STAFF]
    assert export["person"]["reporting_line"]["superior_nip"] == BOSS
    assert [m["period"] for m in export["months"]] == ["2026-02"]
    assert export["months"][0]["minutes"]["approved_minutes"] == 300
    kinds = [e["event_type"] for e in export["events"]]
    assert kinds.count("ReviewSubmitted") == 2 and "ActivityReported" in kinds
    (rated,) = [e for e in export["events"] if e["event_type"] == "ReviewSubmitted"
                and e["payload"]["review"]["kind"] == "behaviour"]
    assert rated["payload"]["review"]["relation"] == "peer"
    text = orjson.dumps(export).decode()
    for hidden in (PEER, COMMENT, NAMES[BOSS], NAMES[PEER], OTHER, NAMES[OTHER]):
        assert hidden not in text, hidden

    pdf = await get(world, f"/v1/employees/{STAFF}/access-export.pdf", ADMIN)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    again = (await get(world, f"/v1/employees/{STAFF}/access-export", ADMIN)).json()
    assert [r["endpoint"] for r in again["reads"]][2:] == [
        "GET /v1/employees/{nip}/access-export", "GET /v1/employees/{nip}/access-export.pdf"]

    ran = await asyncio.to_thread(CliRunner().invoke, appraisal_cli, [
        "subject-access", STAFF, "--out", str(tmp_path), "--operator", "petugas-pdp",
        "--live-url", world["live_url"], "--store-url", world["store_url"]])
    assert ran.exit_code == 0, ran.output
    written = orjson.loads((tmp_path / f"access-{STAFF}.json").read_bytes())
    assert [(e["position"], e["payload"]) for e in written["events"]] == [
        (e["position"], e["payload"]) for e in export["events"]]
    assert (tmp_path / f"access-{STAFF}.pdf").read_bytes()[:5] == b"%PDF-"
    last = (await get(world, f"/v1/employees/{STAFF}/access-export", ADMIN)).json()["reads"]
    assert (last[-1]["reader"], last[-1]["endpoint"]) == (
        "petugas-pdp", "CLI erk-appraisal subject-access")


async def test_a_restriction_withholds_personal_fields_from_all_but_the_person_and_admins(
        world: dict[str, Any]) -> None:
    async def seen(nip: str, headers: dict[str, str]) -> tuple[str, str, bool]:
        found = (await get(world, f"/v1/employees/{nip}", headers)).json()
        return found["name"], found["position"], found["restricted"]

    assert await seen(PEER, auth(BOSS, "superior")) == ("[restricted]", "[restricted]", True)
    assert await seen(PEER, auth("dash", "dashboard")) == ("[restricted]", "[restricted]", True)
    assert await seen(PEER, auth(PEER, "employee")) == (NAMES[PEER], "Petugas", True)
    assert await seen(PEER, ADMIN) == (NAMES[PEER], "Petugas", True)
    assert await seen(OTHER, auth(BOSS, "superior")) == (CORRECTED, "Petugas", False)
    export = (await get(world, f"/v1/employees/{PEER}/access-export", ADMIN)).json()
    assert export["person"]["restricted"] is True
    assert [e["event_type"] for e in export["events"]][-1] == "ProcessingRestricted"


async def test_a_correction_is_a_new_event_and_the_old_name_stays_in_the_history(
        world: dict[str, Any]) -> None:
    export = (await get(world, f"/v1/employees/{OTHER}/access-export", ADMIN)).json()
    assert export["person"]["name"] == CORRECTED
    names = [e["payload"]["name"] for e in export["events"]
             if e["event_type"] == "EmployeeRegistered"]
    assert names == [NAMES[OTHER], CORRECTED]


async def test_an_unknown_person_has_no_export(world: dict[str, Any]) -> None:
    await get(world, "/v1/employees/198001012005011001/access-export", ADMIN, 404)


async def test_list_answers_withhold_a_restricted_persons_fields_and_record_each_read(
        world: dict[str, Any]) -> None:
    async def names(headers: dict[str, str]) -> dict[str, str]:
        people = (await get(world, "/v1/dashboard/people?unit=SAMSAT-01", headers)).json()
        return {person["nip"]: person["name"] for person in people}

    assert await names(auth("dash", "dashboard")) == {**NAMES, PEER: "[restricted]",
                                                      OTHER: CORRECTED}
    assert await names(ADMIN) == {**NAMES, OTHER: CORRECTED}
    for nip in (STAFF, PEER):
        reads = (await get(world, f"/v1/employees/{nip}/access-export", ADMIN)).json()["reads"]
        listed = [(r["reader"], r["reader_role"]) for r in reads
                  if r["endpoint"] == "GET /v1/dashboard/people"]
        assert listed == [("dash", "dashboard"), ("admin", "admin")], nip
