"""Appointing an acting superior (Plt / Plh): who may, and which appointments are refused.

What an appointment allows (validating and rating in the head's place on the days it
covers) is decided in ``shared.authority.acting_for``.
"""

from services.intake.domain import commands as c
from services.intake.domain.checks import require
from services.intake.domain.errors import Rejected, conflict, not_found
from services.intake.domain.facts import EmployeeFacts
from shared.auth import Principal
from shared.authority import ActingAppointment
from shared.events import ActingSuperiorAppointed


def appoint_acting_superior(
    cmd: c.AppointActingSuperior,
    principal: Principal,
    head: EmployeeFacts | None,
    acting: EmployeeFacts | None,
    head_appointments: list[ActingAppointment],
) -> ActingSuperiorAppointed:
    """``head_appointments``: every acting appointment already made for the head."""
    require(principal, "appoint_acting")
    if cmd.valid_to < cmd.valid_from:
        raise Rejected("dates_reversed", "valid_to: the appointment ends before it begins",
                       "valid_to")
    if cmd.acting_nip == cmd.head_nip:
        raise Rejected("self_appointment", "acting_nip: nobody acts in their own place",
                       "acting_nip")
    if head is None:
        raise not_found("unknown_employee", "head_nip: no employee with this NIP",
                        "head_nip")
    if acting is None:
        raise not_found("unknown_employee",
                        "acting_nip: no employee with this NIP", "acting_nip")
    for existing in head_appointments:
        if existing.overlaps(cmd.valid_from, cmd.valid_to):
            raise conflict(
                "acting_overlap",
                f"valid_from: the head already has an acting superior from "
                f"{existing.valid_from} to {existing.valid_to}", "valid_from")
    return ActingSuperiorAppointed(**cmd.model_dump())
