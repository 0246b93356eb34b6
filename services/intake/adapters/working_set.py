"""What one PostgreSQL unit of work has loaded and changed, shared by its fact reader and
its write model: reads hit it before the database, writes update it at once, so a later
command in the unit sees an earlier one before anything is flushed."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from services.intake.domain.activity import Activity
from services.intake.domain.facts import EmployeeFacts
from shared.policy import Policy

Day = tuple[str, date]
"""(nip, work_date)"""


@dataclass
class WorkingSet:
    employees: dict[str, EmployeeFacts | None] = field(default_factory=dict)
    activities: dict[uuid.UUID, Activity | None] = field(default_factory=dict)
    """By id; None: known not to exist."""
    refs: dict[tuple[str, str], uuid.UUID | None] = field(default_factory=dict)
    """(source, external_ref) -> activity id; None: unused."""
    minutes: dict[Day, int] = field(default_factory=dict)
    """Counted minutes per day as the unit sees them (loaded plus changed)."""
    minute_changes: defaultdict[Day, int] = field(default_factory=lambda: defaultdict(int))
    """Changes not in the table yet (flushed when the unit commits)."""
    closed: dict[str, bool] = field(default_factory=dict)
    policies: list[Policy] | None = None
    new_activities: dict[uuid.UUID, Activity] = field(default_factory=dict)
    """Reported in this unit: inserted in bulk when it commits."""

    def know(self, activity: Activity) -> None:
        """``activity`` as this unit now sees it."""
        self.activities[activity.activity_id] = activity
        if activity.external_ref is not None:
            self.refs[(activity.source, activity.external_ref)] = activity.activity_id

    def loaded(self, activity: Activity) -> None:
        """A row read from the table; the unit's own newer state wins."""
        if self.activities.get(activity.activity_id) is None:
            self.know(activity)
        elif activity.external_ref is not None:
            self.refs[(activity.source, activity.external_ref)] = activity.activity_id

    def by_ref(self, key: tuple[str, str]) -> Activity | None:
        activity_id = self.refs[key]
        return self.activities.get(activity_id) if activity_id is not None else None

    def count_minutes(self, key: Day, change: int) -> None:
        if change:
            self.minute_changes[key] += change
            if key in self.minutes:
                self.minutes[key] += change

    def loaded_minutes(self, key: Day, stored: int) -> None:
        # changes counted before the day was loaded are not in the table until the commit
        self.minutes[key] = stored + self.minute_changes.get(key, 0)
