"""Kafka topics: their names, partitions and configs. The one place for them: the services
take their defaults from here (``shared.settings.KafkaSettings``) and ``deploy/check.py``
creates exactly these topics."""

from typing import NamedTuple

EVENTS = "erk.events.v1"
"""Every committed domain event, keyed by the NIP whose appraisal it affects."""

INGRESS_ACTIVITIES = "erk.ingress.activities.v1"
"""Commands from e-services (e-Samsat and others) that prefer Kafka to HTTP."""

INGRESS_REJECTED = "erk.ingress.rejected.v1"
"""Ingress records intake refused, with the reason."""

EVENTS_DLQ = "erk.events.dlq.v1"
"""Event records the appraisal consumer could not apply, with the reason and the original bytes."""

BROADCAST_KEY = "*"
"""Kafka key of events that concern everyone; they are written to every partition."""

EVENTS_PARTITIONS = 6
"""Partitions of the events topic unless the deployment chooses otherwise."""


class Topic(NamedTuple):
    """How a topic is created."""

    partitions: int
    configs: dict[str, str]


TOPICS: dict[str, Topic] = {
    EVENTS: Topic(EVENTS_PARTITIONS, {"retention.ms": "-1", "retention.bytes": "-1",
                                      "cleanup.policy": "delete"}),
    INGRESS_ACTIVITIES: Topic(6, {}),
    INGRESS_REJECTED: Topic(6, {}),
    EVENTS_DLQ: Topic(6, {"retention.ms": "-1"}),
}
"""Every topic of the system, with its partitions and topic configs (the event log and its
dead letters are kept forever)."""
