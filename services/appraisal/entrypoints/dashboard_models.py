"""Response shapes of the dashboard's chart endpoints (their fields document the OpenAPI)."""

from datetime import date, datetime

from pydantic import BaseModel, Field


class DayMinutes(BaseModel):
    day: date = Field(description="A day of the month (every day is listed, weekends too).")
    approved: int = Field(description="Minutes approved, of activities worked that day.")
    pending: int = Field(description="Minutes waiting for the superior's decision.")
    revision_requested: int = Field(description="Minutes sent back to the owner to amend.")
    rejected: int = Field(description="Minutes rejected.")
    not_validated: int = Field(description="Minutes still waiting when the period closed.")


class BacklogBucket(BaseModel):
    age: str = Field(description="How long these activities have waited, as a label.")
    from_hours: int = Field(description="Waited at least this many hours.")
    to_hours: int | None = Field(description="And less than this many; null: no upper bound.")
    activities: int = Field(description="Activities waiting for their superior's decision.")
    minutes: int = Field(description="Their minutes.")


class UnitCategories(BaseModel):
    unit: str = Field(description="Unit code.")
    categories: dict[str, int] = Field(
        description="Employees of the unit per eligibility category (the policy's names).")


class LagPoint(BaseModel):
    at: datetime = Field(description="When the sample was taken (UTC).")
    positions: int = Field(description="Records not yet consumed, over the owned partitions.")
    seconds: float | None = Field(
        description="Largest lag in seconds of those partitions (0: caught up); null while "
        "nothing was applied yet.")


class LagHistory(BaseModel):
    every_s: float = Field(description="At most one sample per this many seconds.")
    samples: list[LagPoint] = Field(
        description="Oldest first, since this appraisal process started (kept in memory).")
