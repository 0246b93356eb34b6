"""Creating and deleting ACLs on the broker (as a super user): `deploy/stack up` makes the
rules of ``shared.broker_acls``, and the broker-security tests the same rules on topics of
their own. Creating a rule twice keeps one copy.

aiokafka's admin client has no ACL methods, but it ships the CreateAcls and DeleteAcls
requests (v1: with the pattern type); they go through the admin client's connection.
"""

from aiokafka.protocol.admin import CreateAclsRequest, DeleteAclsRequest

from shared import kafka
from shared.broker_acls import Acl
from shared.kafka_access import KafkaAccess

# the protocol's codes (org.apache.kafka.common.resource and .acl)
RESOURCE_TYPES = {"TOPIC": 2, "GROUP": 3, "TRANSACTIONAL_ID": 5}
PATTERN_TYPES = {"LITERAL": 3, "PREFIXED": 4}
OPERATIONS = {"READ": 3, "WRITE": 4, "DESCRIBE": 8}
ALLOW = 3


def _fields(acl: Acl) -> tuple[int, str, int, str, str, int, int]:
    return (RESOURCE_TYPES[acl.resource_type], acl.resource, PATTERN_TYPES[acl.pattern_type],
            acl.principal, "*", OPERATIONS[acl.operation], ALLOW)


async def create_acls(access: KafkaAccess, acls: list[Acl]) -> None:
    await _send(access, [CreateAclsRequest(*_fields(acl)) for acl in acls], "creation")


async def delete_acls(access: KafkaAccess, acls: list[Acl]) -> None:
    await _send(access, [DeleteAclsRequest(*_fields(acl)) for acl in acls], "filter")


async def _send(access: KafkaAccess, requests: list[CreateAclsRequest | DeleteAclsRequest],
                what: str) -> None:
    admin = kafka.admin(access)
    await admin.start()
    try:
        for request in requests:
            response = await admin._send_request(request)  # no public method (see above)
            for result in getattr(response, f"{what}_responses"):
                code, message = result[0], result[1]
                if code:
                    raise RuntimeError(f"ACL {what} failed: error {code} {message}")
    finally:
        await admin.close()
