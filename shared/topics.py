"""Kafka topic names. One place, so producers and consumers cannot drift apart."""

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
