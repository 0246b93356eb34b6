"""The read edge's rules, without a database: who may see a restricted person's personal
fields, and whom an answer names (each named person's data counts as read)."""

import pytest

from services.appraisal.entrypoints.reveal import named_in
from services.appraisal.service_layer.reads import withheld_from
from shared.auth import Principal

pytestmark = pytest.mark.unit

RESTRICTED_ONE, OTHER = "198505052010011002", "199001012015032001"


@pytest.mark.parametrize("reader, withheld", [
    (Principal(RESTRICTED_ONE, "employee"), set()),  # their own
    (Principal("admin", "admin"), set()),  # admins manage restrictions
    (Principal(OTHER, "superior"), {RESTRICTED_ONE}),
    (Principal("dash", "dashboard"), {RESTRICTED_ONE}),
    (Principal("audit", "auditor"), {RESTRICTED_ONE}),
    (None, {RESTRICTED_ONE}),  # nobody authenticated sees nothing restricted
])
def test_only_the_person_and_admins_see_a_restricted_persons_fields(
        reader: Principal | None, withheld: set[str]) -> None:
    assert withheld_from(reader, {RESTRICTED_ONE}) == withheld


def test_an_answer_names_the_nip_fields_of_its_rows_at_any_depth() -> None:
    answer = {"items": [{"nip": OTHER, "score": 90}, {"nip": RESTRICTED_ONE}],
              "page": {"nip": OTHER}, "superior_nip": "196804111993031009"}
    assert named_in(answer) == {OTHER, RESTRICTED_ONE}


@pytest.mark.parametrize("answer", [
    {"nip": 198505052010011002},  # a number is no NIP
    {"nip": "1985"},  # nor a short string
    {"nip": {"type": "string"}},  # an OpenAPI property
    {"superior_nip": OTHER},  # another field: the row is not about them
    [OTHER, "text"],
])
def test_values_that_are_no_nip_field_name_nobody(answer: object) -> None:
    assert named_in(answer) == set()
