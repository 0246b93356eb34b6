"""The AsyncAPI document: the committed copy is what the models generate, it is valid
AsyncAPI 3.0, it covers every topic with the models' own schemas, the headers it names
are the ones the code writes, and intake serves it offline."""

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import yaml
from aiokafka import ConsumerRecord

from services.appraisal.adapters import dead_letter_topic
from services.appraisal.domain.records import DeadLetter, Record
from services.intake.adapters.ingress_answers import outcome_headers, rejection_headers
from services.intake.bootstrap import build_app
from services.intake.domain.commands import ReportActivity
from services.intake.entrypoints.asyncapi import REF, DeadLetterHeaders, as_yaml, document
from shared import topics
from shared.events import EVENT_TYPES
from shared.ingress import Answer, IngressOutcome, OutcomeHeaders, RejectionHeaders

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
COMMITTED = ROOT / "docs" / "asyncapi.yaml"
SPEC = ROOT / "tests" / "support" / "asyncapi" / "3.0.0-without-id.json"


def test_the_committed_copy_is_what_the_models_generate() -> None:
    assert COMMITTED.read_text() == as_yaml(document()), (
        "the contracts changed: regenerate with `erk-intake asyncapi > docs/asyncapi.yaml`")


def test_the_document_is_valid_asyncapi_3() -> None:
    validator = jsonschema_rs.validator_for(json.loads(SPEC.read_text()))
    errors = [f"{e.instance_path}: {e.message}"
              for e in validator.iter_errors(json.loads(json.dumps(document())))]
    assert errors == []
    broken = document()
    broken["channels"]["ingress"]["bindings"]["kafka"]["partitions"] = "six"
    assert not validator.is_valid(json.loads(json.dumps(broken)))  # the check can fail


def test_every_topic_is_a_channel_with_its_partitions() -> None:
    channels = document()["channels"]
    assert {c["address"]: c["bindings"]["kafka"]["partitions"] for c in channels.values()} == {
        name: topic.partitions for name, topic in topics.TOPICS.items()}
    assert channels["ingress"]["address"] == "erk.ingress.activities.v1"
    assert channels["outcomes"]["address"] == "erk.ingress.outcomes.v1"


def test_the_schemas_are_the_models_own() -> None:
    doc = document()
    schemas, messages = doc["components"]["schemas"], doc["components"]["messages"]
    assert schemas["ReportActivity"] == ReportActivity.model_json_schema(ref_template=REF)
    assert schemas["IngressOutcome"] == IngressOutcome.model_json_schema(ref_template=REF)
    assert set(EVENT_TYPES) <= set(messages) and set(EVENT_TYPES) <= set(schemas)
    assert set(doc["channels"]["events"]["messages"]) == set(EVENT_TYPES)
    assert messages["ReportActivity"]["headers"] == {"$ref": REF.format(model="IngressHeaders")}
    assert schemas["IngressHeaders"]["required"] == ["authorization"]
    # AsyncAPI's discriminator is the property's name (pydantic writes OpenAPI's object)
    review = schemas["ReviewSubmitted"]["properties"]["review"]
    assert review["discriminator"] == "kind"


def schema_validator(name: str) -> Any:
    components = {"components": document()["components"], "$ref": REF.format(model=name)}
    return jsonschema_rs.validator_for(components)


def test_a_record_built_from_the_document_is_one_the_ingress_takes() -> None:
    body = {"activity_id": str(uuid.uuid4()), "nip": "199001012015032001",
            "work_date": "2026-12-01", "minutes": 45, "description": "Pengesahan STNK"}
    payload, headers = schema_validator("ReportActivity"), schema_validator("IngressHeaders")
    assert payload.is_valid(body)
    ReportActivity.model_validate_json(json.dumps(body))
    for wrong in ({"minutes": "45"}, {"source": "esamsat"}, {"minutes": 0}):
        assert not payload.is_valid({**body, **wrong}), wrong
    assert headers.is_valid({"authorization": "Bearer abc.def.ghi", "correlation_id": "r-1"})
    assert not headers.is_valid({"authorization": "Basic abc"})
    assert not headers.is_valid({"correlation_id": "r-1"})


def answer(status: str, **fields: Any) -> Answer:
    record = ConsumerRecord(topic="erk.ingress.activities.v1", partition=2, offset=17,
                            timestamp=0, timestamp_type=0, key=b"k", value=b"{}",
                            checksum=None, serialized_key_size=1, serialized_value_size=2,
                            headers=[])
    outcome = IngressOutcome(status=status, activity_id=None, source_topic=record.topic,
                             source_partition=2, source_offset=17, correlation_id="r-1",
                             **fields)
    return Answer(record, outcome)


def test_the_headers_written_are_the_documented_ones() -> None:
    rejected = answer("rejected", code="invalid_token", http_status=401,
                      message="malformed token")
    written = {k: v.decode() for k, v in rejection_headers(rejected)}
    assert written == {"code": "invalid_token", "status": "401", "reason": "malformed token",
                       "source_topic": "erk.ingress.activities.v1", "source_partition": "2",
                       "source_offset": "17", "correlation_id": "r-1"}
    assert set(written) == set(RejectionHeaders.model_fields)
    assert RejectionHeaders.model_validate(written)
    accepted = {k: v.decode() for k, v in outcome_headers(answer("accepted"))}
    assert accepted == {"status": "accepted", "correlation_id": "r-1"}
    assert set(accepted) == set(OutcomeHeaders.model_fields)


async def test_the_dead_letter_headers_are_the_documented_ones() -> None:
    sent: list[Any] = []

    class Producer:
        async def send(self, topic: str, value: bytes, key: bytes | None,
                       headers: list[tuple[str, bytes]]) -> Any:
            sent.append(dict(headers))
            future: Any = __import__("asyncio").get_running_loop().create_future()
            future.set_result(None)
            return future

    letter = DeadLetter(Record("erk.events.v1", 1, 5, b"x", b"k"), "undecodable", "not JSON", 9)
    await dead_letter_topic._publish(Producer(), "dlq", [letter])  # type: ignore[arg-type]
    (headers,) = sent
    assert set(headers) == set(DeadLetterHeaders.model_fields)
    DeadLetterHeaders.model_validate({k: v.decode() for k, v in headers.items()})


async def test_intake_serves_it_offline_and_names_it_in_openapi() -> None:
    app = build_app(run_relay=False, run_ingress=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        page = await client.get("/asyncapi")
        as_json = (await client.get("/asyncapi.json")).json()
        as_text = (await client.get("/asyncapi.yaml")).text
        openapi = (await client.get("/openapi.json")).json()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for words in ("erk.ingress.activities.v1", "erk.ingress.outcomes.v1",
                  "erk.ingress.rejected.v1", "erk.events.v1", "erk.events.dlq.v1",
                  "<code>authorization</code>", "<code>source_offset</code>",
                  'id="schema-ActivityReported"'):
        assert words in page.text, words
    assert "<script" not in page.text and "src=" not in page.text  # nothing to fetch
    assert as_json["asyncapi"] == "3.0.0" and yaml.safe_load(as_text) == as_json
    assert "erk.ingress.activities.v1" in openapi["info"]["description"]
    assert "authorization: Bearer" in openapi["info"]["description"]
