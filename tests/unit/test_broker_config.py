"""The broker's configuration keeps every listener authenticated and authorization on, and
deploy/compose.yaml starts the same broker with every principal's password."""

import re
from pathlib import Path

import yaml

from shared.broker_acls import PRINCIPALS, SUPER_USERS

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def properties(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def test_no_listener_takes_a_client_without_credentials() -> None:
    config = properties(DEPLOY / "kafka/server.properties")
    protocols = dict(pair.split(":") for pair in
                     config["listener.security.protocol.map"].split(","))
    listeners = [entry.split("://")[0] for entry in config["listeners"].split(",")]
    assert {protocols[name] for name in listeners} == {"SASL_PLAINTEXT"}
    assert config["listener.name.sasl_plaintext.sasl.enabled.mechanisms"] == "SCRAM-SHA-256"
    assert config["listener.name.controller.sasl.enabled.mechanisms"] == "PLAIN"


def test_authorization_is_on_and_only_admin_and_the_broker_are_super_users() -> None:
    config = properties(DEPLOY / "kafka/server.properties")
    assert config["authorizer.class.name"] == (
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
    assert config["allow.everyone.if.no.acl.found"] == "false"
    assert config["super.users"].split(";") == [f"User:{name}" for name in SUPER_USERS]


def test_compose_starts_that_broker_with_every_principal_s_password() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    kafka = compose["services"]["kafka"]
    assert "./kafka/server.properties:/erk/server.properties:ro" in kafka["volumes"]
    assert kafka["secrets"] == [f"kafka-{name}" for name in PRINCIPALS]
    assert {name: secret["file"] for name, secret in compose["secrets"].items()} == {
        f"kafka-{name}": f"../.local/kafka-credentials/{name}.password" for name in PRINCIPALS}
    start = (DEPLOY / "kafka/compose-start.sh").read_text()
    (formatted,) = re.findall(r"for name in ([a-z ]+); do", start)
    assert formatted.split() == list(PRINCIPALS)
