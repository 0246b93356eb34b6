"""Who may do what on the broker: the ACLs `deploy/stack up` creates (deploy/kafka_acls.py)
and deploy/compose.yaml's setup repeats. The broker authorizes every request
(StandardAuthorizer, ``allow.everyone.if.no.acl.found=false``): a principal may do only what
is listed here, plus the operations Kafka implies (READ or WRITE on a topic implies DESCRIBE).

- ``intake``: the relay writes the events topic (it alone), the checkpointer the checkpoints
  topic; the ingress reads the e-services' topics (activities, attendance) in its group and
  answers on the outcomes and rejection topics in Kafka transactions (ids
  ``<group>-<uuid>``) with the offsets.
- ``appraisal``: reads the events topic (in its group for partition assignment), writes the
  dead-letter topic, reads the checkpoints topic (``audit verify``).
- ``eservice``: writes the ingress topics only (an attendance feed is an e-service too);
  reads its answers, in groups of its own, and may see how far intake's ingress group got
  (the simulator waits on it; offsets only).
- ``admin`` (operators, topic creation, the tests' setup) and ``broker`` (the broker's own
  inter-broker and controller connections) are super users and need no ACL.
"""

from typing import Literal, NamedTuple

from shared import topics

ResourceType = Literal["TOPIC", "GROUP", "TRANSACTIONAL_ID"]
PatternType = Literal["LITERAL", "PREFIXED"]
Operation = Literal["READ", "WRITE", "DESCRIBE"]

SUPER_USERS = ("admin", "broker")
SERVICE_PRINCIPALS = ("intake", "appraisal", "eservice")
PRINCIPALS = SUPER_USERS + SERVICE_PRINCIPALS
"""Every principal the stack makes credentials for."""


class Acl(NamedTuple):
    """One ALLOW rule, from any host."""

    principal: str
    resource_type: ResourceType
    pattern_type: PatternType
    resource: str
    operation: Operation


class Names(NamedTuple):
    """The topics and groups the rules name: the system's (shared/topics.py) by default; a
    test applies the same rules to topics of its own."""

    events: str = topics.EVENTS
    events_dlq: str = topics.EVENTS_DLQ
    checkpoints: str = topics.CHECKPOINTS
    ingress: str = topics.INGRESS_ACTIVITIES
    attendance: str = topics.INGRESS_ATTENDANCE
    outcomes: str = topics.INGRESS_OUTCOMES
    rejected: str = topics.INGRESS_REJECTED
    ingress_group: str = topics.INGRESS_GROUP
    appraisal_group: str = topics.APPRAISAL_GROUP
    eservice_group_prefix: str = topics.ESERVICE_GROUP_PREFIX


def _topic(principal: str, name: str, operation: Operation) -> Acl:
    return Acl(f"User:{principal}", "TOPIC", "LITERAL", name, operation)


def _group(principal: str, name: str, operation: Operation,
           pattern: PatternType = "LITERAL") -> Acl:
    return Acl(f"User:{principal}", "GROUP", pattern, name, operation)


SYSTEM = Names()
"""The names of the running system."""


def service_acls(n: Names = SYSTEM) -> list[Acl]:
    """The rules of the three service principals (the super users need none)."""
    return [
        _topic("intake", n.events, "WRITE"),
        _topic("intake", n.checkpoints, "WRITE"),
        _topic("intake", n.ingress, "READ"),
        _topic("intake", n.attendance, "READ"),
        _topic("intake", n.outcomes, "WRITE"),
        _topic("intake", n.rejected, "WRITE"),
        _group("intake", n.ingress_group, "READ"),
        Acl("User:intake", "TRANSACTIONAL_ID", "PREFIXED", f"{n.ingress_group}-", "WRITE"),
        _topic("appraisal", n.events, "READ"),
        _topic("appraisal", n.events_dlq, "WRITE"),
        _topic("appraisal", n.checkpoints, "READ"),
        _group("appraisal", n.appraisal_group, "READ"),
        _topic("eservice", n.ingress, "WRITE"),
        _topic("eservice", n.attendance, "WRITE"),
        _topic("eservice", n.outcomes, "READ"),
        _topic("eservice", n.rejected, "READ"),
        _group("eservice", n.eservice_group_prefix, "READ", "PREFIXED"),
        _group("eservice", n.ingress_group, "DESCRIBE"),
    ]
