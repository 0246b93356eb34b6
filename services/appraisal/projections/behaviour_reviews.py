"""360° behaviour reviews: each rater's latest scores of a ratee for a month. The aggregate
(per indicator and relation, detail hidden below the minimum raters) is computed when
asked, from these rows and the policy in force (``domain.scoring``)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import JSON, BigInteger, Column, MetaData, Table, Text, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.appraisal.adapters.rows import rows_where
from services.appraisal.projections.base import Batch, Projection, Row
from shared.envelope import EventHeader
from shared.events import BehaviourReview, Event, ReviewSubmitted

metadata = MetaData()

behaviour_reviews = Table(
    "behaviour_reviews", metadata,
    Column("period", Text, primary_key=True),
    Column("ratee_nip", Text, primary_key=True),
    Column("rater_nip", Text, primary_key=True),
    Column("relation", Text, nullable=False),
    Column("scores", JSON, nullable=False),
    Column("position", BigInteger, nullable=False),
    # the superior whose place an acting superior (Plt / Plh) took when rating, else NULL
    Column("acting_for", Text),
)

Key = tuple[str, str]
"""(ratee NIP, period)."""


@dataclass
class Reviews:
    rows: dict[tuple[str, str, str], Row] = field(default_factory=dict)
    rated: set[Key] = field(default_factory=set)
    """Employee-months rated in this batch (their eligibility follows)."""


class BehaviourReviews(Projection[Reviews]):
    tables = (behaviour_reviews,)
    events = frozenset({ReviewSubmitted})

    def start(self, batch: Batch) -> Reviews:
        return Reviews()

    def apply(self, working: Reviews, envelope: EventHeader, event: Event,
              partition: int) -> None:
        assert isinstance(event, ReviewSubmitted)
        review = event.review
        if not isinstance(review, BehaviourReview):
            return  # a validation: the activities projection's
        working.rows[(review.period, review.ratee_nip, review.rater_nip)] = {
            "period": review.period, "ratee_nip": review.ratee_nip,
            "rater_nip": review.rater_nip, "relation": review.relation,
            "scores": dict(review.scores), "position": envelope.position,
            "acting_for": review.acting_for}
        working.rated.add((review.ratee_nip, review.period))

    def rows(self, working: Reviews) -> Iterable[tuple[Table, list[Row]]]:
        return [(behaviour_reviews, list(working.rows.values()))]


# -- queries ------------------------------------------------------------------------------------

async def reviews_of(conn: AsyncConnection, keys: Iterable[Key]) -> dict[Key, list[Row]]:
    """Every review of the employee-months ``keys``."""
    columns = tuple_(behaviour_reviews.c.ratee_nip, behaviour_reviews.c.period)
    found: dict[Key, list[Row]] = defaultdict(list)
    for row in await rows_where(conn, behaviour_reviews, columns, keys):
        found[(row["ratee_nip"], row["period"])].append(row)
    return found


async def reviews_for(conn: AsyncConnection, nip: str, period: str) -> list[Row]:
    r = behaviour_reviews
    rows = await conn.execute(select(r).where(r.c.ratee_nip == nip, r.c.period == period))
    return [dict(row._mapping) for row in rows]
