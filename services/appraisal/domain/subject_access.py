"""What a data subject's access export discloses of an event about them (UU PDP art. 32,
33: their data, without revealing other people's).

Events whose subject is the person are theirs: their roster entries, activities, the
decisions on them (with the deciding superior's NIP: who appraises them is part of their
own record), attendance, objections, payroll facts. The exception is a 360° behaviour
review: the rater stays anonymous, so its rater, actor, stream (which names the rater),
scores and comment are withheld; the export shows the aggregates instead, which hide every
relation's detail below the policy's minimum number of raters (``domain.scoring``)."""

from typing import Any

from shared.envelope import EventEnvelope

WITHHELD = "[withheld: a 360° rater stays anonymous]"


def disclosed(envelope: EventEnvelope) -> dict[str, Any]:
    """The event as the export shows it to its subject."""
    shown = {"position": envelope.position, "event_type": envelope.event_type,
             "schema_version": envelope.schema_version, "occurred_at": envelope.occurred_at,
             "recorded_at": envelope.recorded_at, "actor": envelope.actor,
             "source": envelope.source, "stream_id": envelope.stream_id,
             "payload": envelope.payload}
    review = envelope.payload.get("review")
    if envelope.event_type == "ReviewSubmitted" and isinstance(review, dict) \
            and review.get("kind") == "behaviour":
        shown.update(actor=WITHHELD, stream_id=WITHHELD, payload={"review": {
            "kind": "behaviour", "period": review.get("period"),
            "relation": review.get("relation"), "rater_nip": WITHHELD,
            "scores": WITHHELD, "comment": WITHHELD}})
    return shown
