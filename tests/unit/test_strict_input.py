"""Strict input types, in both ways input reaches them: Python mode (FastAPI validates the
result of ``json.loads``) and JSON mode (the Kafka ingress parses bytes), for every command
and the policy document; and the error descriptions clients get."""

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.intake.domain import commands as c
from services.intake.entrypoints import http  # noqa: F401  (its request bodies are Commands)
from shared.input_errors import describe
from shared.policy import Band, Indicator, Policy
from shared.strict import IsoDate, IsoUuid
from tests.type_confusion import branches, wrong_values

pytestmark = pytest.mark.unit

DATES = TypeAdapter(IsoDate)
UUIDS = TypeAdapter(IsoUuid)
AN_ID = "123e4567-e89b-12d3-a456-426614174000"


def validate(adapter: TypeAdapter[Any], value: Any, mode: str) -> Any:
    if mode == "json":
        return adapter.validate_json(json.dumps(value))
    return adapter.validate_python(value)


@pytest.mark.parametrize("mode", ["python", "json"])
def test_iso_date_takes_exactly_yyyy_mm_dd(mode: str) -> None:
    assert validate(DATES, "2026-11-30", mode) == date(2026, 11, 30)
    for wrong in [1764547200, "1764547200", 20261130, "20261130", "2026-11-30T00:00:00",
                  "2026-11-30Z", "30/11/2026", "2026-02-30", "2026-1-30", True, None, [], {}]:
        with pytest.raises(ValidationError):
            validate(DATES, wrong, mode)


def test_iso_date_takes_date_objects_from_code_but_no_datetime() -> None:
    assert DATES.validate_python(date(2026, 11, 30)) == date(2026, 11, 30)
    with pytest.raises(ValidationError):
        DATES.validate_python(datetime(2026, 11, 30))


def test_iso_date_explains_an_impossible_day() -> None:
    with pytest.raises(ValidationError) as caught:
        DATES.validate_python("2026-02-30")
    assert caught.value.errors()[0]["type"] == "date_invalid"
    assert "day is out of range" in caught.value.errors()[0]["msg"]


@pytest.mark.parametrize("mode", ["python", "json"])
def test_iso_uuid_takes_exactly_the_hyphenated_form(mode: str) -> None:
    assert validate(UUIDS, AN_ID, mode) == uuid.UUID(AN_ID)
    assert validate(UUIDS, AN_ID.upper(), mode) == uuid.UUID(AN_ID)
    for wrong in [AN_ID.replace("-", ""), f"{{{AN_ID}}}", f"urn:uuid:{AN_ID}", 12345, True,
                  None, [AN_ID], {"id": AN_ID}]:
        with pytest.raises(ValidationError):
            validate(UUIDS, wrong, mode)
    assert UUIDS.validate_python(uuid.UUID(AN_ID)) == uuid.UUID(AN_ID)


def input_models() -> Iterator[type[BaseModel]]:
    """Every command and request body (subclasses of Command, wherever defined), and the
    policy document with its parts."""
    pending: list[type[BaseModel]] = [c.Command]
    while pending:
        model = pending.pop()
        pending += model.__subclasses__()
        if model is not c.Command:
            yield model
    yield from (Policy, Indicator, Band)


MODELS = sorted(input_models(), key=lambda m: m.__name__)


def field_errors(model: type[BaseModel], data: dict[str, Any], mode: str, name: str) -> list[
    Any
]:
    """The errors located at field ``name`` when ``data`` is validated (other fields may be
    missing: those errors are not looked at)."""
    try:
        if mode == "json":
            model.model_validate_json(json.dumps(data))
        else:
            model.model_validate(data)
    except ValidationError as error:
        return [e for e in error.errors() if e["loc"][:1] == (name,)]
    return []


def test_the_walk_covers_every_command() -> None:
    names = {m.__name__ for m in MODELS}
    assert {"RegisterEmployee", "ReportActivity", "DecideActivity", "DecisionBody", "NoBody",
            "SubmitBehaviourReview", "ClosePeriod", "ChangeReportingLine", "Policy"} <= names


@pytest.mark.parametrize("mode", ["python", "json"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_refuses_the_wrong_json_type(model: type[BaseModel], mode: str) -> None:
    schema = model.model_json_schema()
    accepted = []
    for name, prop in schema.get("properties", {}).items():
        sub, nullable = branches(prop, schema)
        for label, wrong in wrong_values(sub, nullable, None):
            if not field_errors(model, {name: wrong}, mode, name):
                accepted.append(f"{name} = {label} {wrong!r}")
    assert not accepted, f"{model.__name__} ({mode} mode) took: {accepted}"


@pytest.mark.parametrize("mode", ["python", "json"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_dates_and_uuids_take_their_iso_string(model: type[BaseModel], mode: str) -> None:
    """A bare ``date`` or ``UUID`` field would refuse these in strict Python mode: every
    request over HTTP would fail. Commands must type them IsoDate / IsoUuid."""
    schema = model.model_json_schema()
    samples = {"date": "2026-11-30", "uuid": AN_ID}
    for name, prop in schema.get("properties", {}).items():
        sample = samples.get(branches(prop, schema)[0].get("format", ""))
        if sample is not None:
            assert not field_errors(model, {name: sample}, mode, name), name


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_unknown_fields_are_refused(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"unexpected_field": 1})
    assert "extra_forbidden" in {e["type"] for e in caught.value.errors()}


def test_commands_refuse_the_coercions_of_the_issue() -> None:
    activity = {"activity_id": AN_ID, "nip": "199001012015032001", "work_date": "2026-11-30",
                "minutes": 10, "description": "Menyusun laporan"}
    assert c.ReportActivity.model_validate(activity).minutes == 10
    for minutes in ["10", True, 10.0]:
        with pytest.raises(ValidationError):
            c.ReportActivity.model_validate({**activity, "minutes": minutes})
    employee = {"nip": "199001012015032001", "name": "Siti", "unit": "U", "position": "P"}
    for change in [{"structural": "yes"}, {"structural": "true"}, {"structural": 1},
                   {"job_class": "5"}, {"job_class": True}]:
        with pytest.raises(ValidationError):
            c.RegisterEmployee.model_validate({**employee, **change})
    review = {"period": "2026-11", "ratee_nip": "196804111993031009"}
    for score in ["70", True, 70.0]:
        with pytest.raises(ValidationError):
            c.SubmitBehaviourReview.model_validate({**review, "scores": {"integritas": score}})


def test_policy_refuses_strings_booleans_and_nan_but_takes_integers_for_numbers() -> None:
    base = {"version": "t", "effective_from": "2026-01"}
    assert Policy.model_validate({**base, "results_weight": 60,
                                  "behaviour_weight": 40}).results_weight == 60.0
    for wrong in ["60", True, float("nan"), float("inf")]:
        with pytest.raises(ValidationError):
            Policy.model_validate({**base, "results_weight": wrong})


# -- what clients are told -------------------------------------------------------------------


def first_error(model: type[BaseModel], raw: bytes) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(raw)
    return dict(caught.value.errors()[0])


def test_malformed_json_is_400_without_a_made_up_field() -> None:
    fastapi_shape = {"type": "json_invalid", "loc": ("body", 8), "msg": "JSON decode error",
                     "ctx": {"error": "Expecting property name enclosed in double quotes"}}
    problem = describe(fastapi_shape, from_request=True)
    assert (problem.status, problem.code, problem.field) == (400, "malformed_json", None)
    assert problem.message == ("body is not valid JSON: Expecting property name enclosed in "
                               "double quotes (at character 8)")
    pydantic_shape = describe(first_error(c.ClosePeriod, b'{"period": '))
    assert (pydantic_shape.code, pydantic_shape.field) == ("malformed_json", None)
    assert pydantic_shape.message.startswith("body is not valid JSON: EOF while parsing")


def test_type_errors_name_the_field_and_the_type_received() -> None:
    problem = describe(first_error(c.ClosePeriod, b'{"period": 202611}'))
    assert (problem.status, problem.code, problem.field) == (422, "invalid_request", "period")
    assert problem.message == "period: Input should be a valid string, got an integer"
    nested = describe({"type": "int_type", "loc": ("body", 0, "minutes"), "input": True,
                       "msg": "Input should be a valid integer"}, from_request=True)
    assert nested.field == "[0].minutes"
    assert nested.message == "[0].minutes: Input should be a valid integer, got a boolean"


def test_unknown_field_and_wrong_body_shapes() -> None:
    extra = describe(first_error(c.ClosePeriod, b'{"period": "2026-11", "force": true}'))
    assert (extra.status, extra.code, extra.field) == (422, "unknown_field", "force")
    assert "force" in extra.message
    array = describe(first_error(c.ClosePeriod, b'["2026-11"]'))
    assert (array.code, array.field) == ("invalid_request", None)
    assert array.message == "body: must be a JSON object, got an array"
    listed = describe({"type": "list_type", "loc": ("body",), "input": {}, "msg": "-"},
                      from_request=True)
    assert listed.message == "body: must be a JSON array, got an object"
    nothing = describe({"type": "missing", "loc": ("body",), "input": None, "msg": "-"},
                       from_request=True)
    assert nothing.message == "body: required: send a JSON body"
    assert describe(first_error(c.ClosePeriod, b"{}")).message == "period: Field required"
    raw = describe({"type": "model_attributes_type", "loc": ("body",), "input": b"x",
                    "msg": "-"}, from_request=True)
    assert (raw.status, raw.code) == (415, "unsupported_media_type")
