"""What each broker principal may do (shared/broker_acls.py), against a hand-written table,
and the client settings every Kafka client is built from (shared/kafka_access.py)."""

from pathlib import Path

import pytest
from faststream.security import SASLScram256
from pydantic import ValidationError

from shared.broker_acls import PRINCIPALS, SUPER_USERS, Names, service_acls
from shared.kafka import faststream_security
from shared.kafka_access import KafkaAccess
from shared.settings import KafkaSettings

EXPECTED = {
    "User:intake": {
        ("TOPIC", "LITERAL", "erk.events.v1", "WRITE"),
        ("TOPIC", "LITERAL", "erk.checkpoints.v1", "WRITE"),
        ("TOPIC", "LITERAL", "erk.ingress.activities.v1", "READ"),
        ("TOPIC", "LITERAL", "erk.ingress.attendance.v1", "READ"),
        ("TOPIC", "LITERAL", "erk.ingress.outcomes.v1", "WRITE"),
        ("TOPIC", "LITERAL", "erk.ingress.rejected.v1", "WRITE"),
        ("GROUP", "LITERAL", "erk-intake-ingress", "READ"),
        ("TRANSACTIONAL_ID", "PREFIXED", "erk-intake-ingress-", "WRITE"),
    },
    "User:appraisal": {
        ("TOPIC", "LITERAL", "erk.events.v1", "READ"),
        ("TOPIC", "LITERAL", "erk.events.dlq.v1", "WRITE"),
        ("TOPIC", "LITERAL", "erk.checkpoints.v1", "READ"),
        ("GROUP", "LITERAL", "erk-appraisal", "READ"),
    },
    "User:eservice": {
        ("TOPIC", "LITERAL", "erk.ingress.activities.v1", "WRITE"),
        ("TOPIC", "LITERAL", "erk.ingress.attendance.v1", "WRITE"),
        ("TOPIC", "LITERAL", "erk.ingress.outcomes.v1", "READ"),
        ("TOPIC", "LITERAL", "erk.ingress.rejected.v1", "READ"),
        ("GROUP", "PREFIXED", "erk-eservice-", "READ"),
        ("GROUP", "LITERAL", "erk-intake-ingress", "DESCRIBE"),
    },
}


@pytest.fixture(autouse=True)
def _no_stack_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """`deploy/stack test` exports the stack's admin settings; these tests give their own."""
    for name in ("SECURITY_PROTOCOL", "SASL_MECHANISM", "USERNAME", "PASSWORD_FILE"):
        monkeypatch.delenv(f"ERK_KAFKA_{name}", raising=False)


def granted() -> dict[str, set[tuple[str, str, str, str]]]:
    table: dict[str, set[tuple[str, str, str, str]]] = {}
    for acl in service_acls():
        table.setdefault(acl.principal, set()).add(
            (acl.resource_type, acl.pattern_type, acl.resource, acl.operation))
    return table


def test_each_service_principal_gets_exactly_the_hand_written_rules() -> None:
    assert granted() == EXPECTED
    assert len(service_acls()) == sum(len(rules) for rules in EXPECTED.values())  # no twins


def test_only_intake_writes_the_events_topic_and_the_e_services_never_touch_it() -> None:
    on_events = {(acl.principal, acl.operation) for acl in service_acls()
                 if acl.resource == "erk.events.v1"}
    assert on_events == {("User:intake", "WRITE"), ("User:appraisal", "READ")}


def test_the_super_users_need_no_rule_and_every_principal_gets_a_password() -> None:
    assert SUPER_USERS == ("admin", "broker")
    assert set(PRINCIPALS) == {"admin", "broker", "intake", "appraisal", "eservice"}
    assert not {acl.principal for acl in service_acls()} & {f"User:{n}" for n in SUPER_USERS}


def test_the_same_rules_apply_to_other_names() -> None:
    names = Names(events="t.events", ingress_group="g")
    rules = {(acl.principal, acl.resource, acl.operation) for acl in service_acls(names)}
    assert ("User:intake", "t.events", "WRITE") in rules
    assert ("User:intake", "g-", "WRITE") in rules  # its transactional ids
    assert not any(acl.resource == "erk.events.v1" for acl in service_acls(names))


def test_plaintext_needs_no_credentials() -> None:
    access = KafkaSettings(bootstrap="h:1").access()
    assert access.client_options() == {"bootstrap_servers": "h:1",
                                       "security_protocol": "PLAINTEXT"}
    assert access.principal == "User:ANONYMOUS"
    assert faststream_security(access) is None


def test_sasl_reads_the_password_from_its_file(tmp_path: Path) -> None:
    secret = tmp_path / "intake.password"
    secret.write_text("s3cret\n")
    access = KafkaSettings(bootstrap="h:1", security_protocol="SASL_PLAINTEXT",
                           username="intake", password_file=secret).access("other:2")
    assert access.client_options() == {
        "bootstrap_servers": "other:2", "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-256", "sasl_plain_username": "intake",
        "sasl_plain_password": "s3cret"}
    assert access.principal == "User:intake"
    assert "s3cret" not in repr(access)
    security = faststream_security(access)
    assert isinstance(security, SASLScram256)
    assert (security.username, security.password) == ("intake", "s3cret")


@pytest.mark.parametrize("missing", ["username", "password_file"])
def test_sasl_without_credentials_is_refused(tmp_path: Path, missing: str) -> None:
    given = {"username": "intake", "password_file": tmp_path / "p"}
    del given[missing]
    with pytest.raises(ValidationError, match="needs ERK_KAFKA_USERNAME"):
        KafkaSettings(security_protocol="SASL_PLAINTEXT", **given)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a username and a password"):
        KafkaAccess("h:1", "SASL_PLAINTEXT", username=given.get("username"))  # type: ignore[arg-type]
