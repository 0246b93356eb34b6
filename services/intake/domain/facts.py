"""What the rules know of the write model: plain values the service layer loads."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class EmployeeFacts:
    nip: str
    unit: str
    structural: bool


@dataclass(frozen=True)
class ActivityFacts:
    activity_id: str
    nip: str
    work_date: date
    source: str


@dataclass(frozen=True)
class ObjectionFacts:
    """An objection as intake's write model keeps it."""

    nip: str
    period: str
    decider_nip: str
    decided: bool
