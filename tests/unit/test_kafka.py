"""shared.kafka: the partition rule the relay publishes with and a rebuild re-creates."""

import pytest
from aiokafka.partitioner import DefaultPartitioner

from shared.kafka import partition_for, target_partitions
from shared.topics import BROADCAST_KEY

pytestmark = pytest.mark.unit

NIPS = ["196804111993031009", "199001012015032001", "198505052010011002", "*", "x"]


def test_partition_for_matches_aiokafka() -> None:
    partitioner = DefaultPartitioner()
    for nip in NIPS:
        for n in (1, 3, 6, 12):
            assert partition_for(nip.encode(), n) == partitioner(
                nip.encode(), list(range(n)), list(range(n)))


def test_a_broadcast_goes_to_every_partition_anything_else_to_its_keys() -> None:
    assert list(target_partitions(BROADCAST_KEY.encode(), range(6))) == [0, 1, 2, 3, 4, 5]
    for nip in NIPS[:3]:
        assert list(target_partitions(nip.encode(), range(6))) == [partition_for(nip.encode(), 6)]
    # the partition ids the broker reports, indexed by the key's hash
    assert list(target_partitions(NIPS[0].encode(), [10, 11, 12])) == [
        [10, 11, 12][partition_for(NIPS[0].encode(), 3)]]
