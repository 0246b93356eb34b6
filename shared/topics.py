"""Kafka topics: their names, partitions and configs. The one place for them: the services
take their defaults from here (``shared.settings.KafkaSettings``) and ``deploy/check.py``
creates exactly these topics."""

from typing import NamedTuple

EVENTS = "erk.events.v1"
"""Every committed domain event, keyed by the subject id (``shared.pseudonym``, a keyed hash
of the NIP whose appraisal it affects: never the NIP)."""

INGRESS_ACTIVITIES = "erk.ingress.activities.v1"
"""Commands from e-services (e-Samsat and others) that prefer Kafka to HTTP."""

INGRESS_ATTENDANCE = "erk.ingress.attendance.v1"
"""Check-ins, check-outs and absences from attendance sources (fingerprint machines, apps)."""

INGRESS_REJECTED = "erk.ingress.rejected.v1"
"""Ingress records intake refused: the original bytes and key, the reason in headers."""

INGRESS_OUTCOMES = "erk.ingress.outcomes.v1"
"""What became of every ingress record (accepted, duplicate, rejected), keyed like it."""

EVENTS_DLQ = "erk.events.dlq.v1"
"""Event records the appraisal consumer could not apply, with the reason and the original bytes."""

CHECKPOINTS = "erk.checkpoints.v1"
"""Signed checkpoints of the event store's chain head (``shared.checkpoints``), kept forever."""

INGRESS_GROUP = "erk-intake-ingress"
"""Intake's consumer group on the ingress topic; its transactional ids start with it."""

APPRAISAL_GROUP = "erk-appraisal"
"""The projection consumer's group on the events topic (partition assignment only)."""

ESERVICE_GROUP_PREFIX = "erk-eservice-"
"""Consumer groups of e-services reading their outcomes and refusals start with this."""

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
    INGRESS_ATTENDANCE: Topic(6, {}),
    INGRESS_REJECTED: Topic(6, {}),
    INGRESS_OUTCOMES: Topic(6, {}),
    EVENTS_DLQ: Topic(6, {"retention.ms": "-1"}),
    CHECKPOINTS: Topic(1, {"retention.ms": "-1", "retention.bytes": "-1"}),
}
"""Every topic of the system, with its partitions and topic configs (the event log, its
dead letters and its checkpoints are kept forever)."""
