"""Response shapes of the workflow read endpoints (their fields document the OpenAPI)."""

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from shared.events import EmploymentType


class PolicyInForce(BaseModel):
    period: str = Field(description="The period asked about, YYYY-MM.")
    version: str = Field(description="Version of the policy that governs it.")
    effective_from: str = Field(description="First period that policy governs.")
    closed: bool = Field(
        description="Nothing dated in the period is accepted any more: it was closed, or its "
        "close day (close_date, Asia/Jakarta) has come.")
    close_recorded: bool = Field(
        description="The close has been recorded (a PeriodClosed event): eligibility is final.")
    close_date: date = Field(description="The day the period locks by the policy's close_day.")
    document: dict[str, Any] = Field(description="The whole policy document, as published.")


class ReportingLineOnDate(BaseModel):
    superior_nip: str | None = Field(
        description="The direct superior on the date; null when the employee reports to "
        "nobody from `since` on.")
    since: date = Field(description="First day of this reporting line.")
    superior_name: str | None = Field(description="The superior's name.")
    superior_position: str | None = Field(description="The superior's job title.")
    superior_unit: str | None = Field(description="The superior's unit on `as_of`.")


class EmployeeAsOf(BaseModel):
    nip: str = Field(description="The employee's NIP.")
    name: str = Field(description="Full name.")
    unit: str = Field(
        description="Unit code on `as_of`: the unit of the latest transfer effective by then, "
        "else the unit the employee was registered with.")
    position: str = Field(description="Job title, as the roster stands now.")
    structural: bool = Field(description="Holds a structural (leadership) position.")
    employment_type: EmploymentType = Field(description="PNS, PPPK or CPNS.")
    job_class: int = Field(description="Kelas jabatan, 1..17.")
    as_of: date = Field(description="The date the reporting line is given for.")
    reporting_line: ReportingLineOnDate | None = Field(
        description="The reporting line in force on `as_of`; null when none had begun.")
    restricted: bool = Field(
        description="The employee's processing is restricted (UU PDP art. 11): name and "
        "position read `[restricted]` to everyone but the employee and admins.")
