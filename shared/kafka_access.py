"""Who a Kafka client is and where the brokers are: the one value every producer, consumer,
admin client and FastStream broker of the system is built from (``shared.kafka``), so the
security settings cannot be forgotten by one of them.

Plain data without client imports: the settings make it (``KafkaSettings.access()``), the
client factories read it."""

from dataclasses import dataclass, field
from typing import Any, Literal

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT"]
SaslMechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]


@dataclass(frozen=True)
class KafkaAccess:
    """The bootstrap servers and, on an authenticated listener, the principal's credentials.
    ``PLAINTEXT`` (no authentication) stays possible, for a broker that does not ask."""

    bootstrap: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-256"
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.security_protocol != "PLAINTEXT" and not (self.username and self.password):
            raise ValueError(f"{self.security_protocol} needs a username and a password "
                             "(ERK_KAFKA_USERNAME, ERK_KAFKA_PASSWORD_FILE)")

    @property
    def principal(self) -> str:
        """The principal the broker's ACLs name (User:ANONYMOUS without authentication)."""
        return f"User:{self.username}" if self.authenticated else "User:ANONYMOUS"

    @property
    def authenticated(self) -> bool:
        return self.security_protocol != "PLAINTEXT"

    def security_options(self) -> dict[str, Any]:
        """aiokafka's keyword arguments for the security settings alone."""
        if not self.authenticated:
            return {"security_protocol": "PLAINTEXT"}
        return {"security_protocol": self.security_protocol,
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.username, "sasl_plain_password": self.password}

    def client_options(self) -> dict[str, Any]:
        """aiokafka's keyword arguments: bootstrap servers and security."""
        return {"bootstrap_servers": self.bootstrap, **self.security_options()}

    def as_user(self, username: str, password: str) -> "KafkaAccess":
        """The same brokers as another principal (the tests' principals)."""
        return KafkaAccess(self.bootstrap, self.security_protocol, self.sasl_mechanism,
                           username, password)
