"""Every appraisal table in one MetaData: what the migrations must build (compared by
``tests/integration/test_migrations.py``). Each table is defined by its owner: a projection
module, or the consumer's bookkeeping adapters (positions, dead letters, parked records,
delivered event ids) and the record of reads of personal data, which are not a function of
the event history and are never checksummed."""

from sqlalchemy import MetaData, Table

from services.appraisal.adapters.dead_letters import dead_letters
from services.appraisal.adapters.delivered import delivered_events
from services.appraisal.adapters.held_keys import parked_records
from services.appraisal.adapters.personal_reads import personal_data_reads
from services.appraisal.adapters.positions import consumer_positions
from services.appraisal.projections import REGISTRY
from services.appraisal.projections.registry import Registry

BOOKKEEPING: tuple[Table, ...] = (consumer_positions, dead_letters, parked_records,
                                   delivered_events, personal_data_reads)


def metadata(registry: Registry = REGISTRY) -> MetaData:
    combined = MetaData()
    for table in (*BOOKKEEPING, *registry.tables):
        table.to_metadata(combined)
    return combined
