"""Who may do what, in one place, for both services.

An action is allowed only when the token's ROLE allows it (the table below) AND, for an
action on another person, the REPORTING LINE on the relevant date gives the authority (the
direct superior on that date). The role table is checked first, so a token whose role lacks
the action is refused with ``role_not_allowed`` whoever its subject is; the line is checked
by the callers, which know the date and load the line, with ``not_direct_superior`` (or
``not_related`` for a 360 review between people with no relation).
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from shared.auth import Role
from shared.events import ActingKind, Relation

Action = Literal[
    "report_own_activity",      # report (and revise) one's own activities
    "report_for_source",        # an e-service reports activities from its own channel
    "review_as_peer",           # 360: rate a colleague with the same direct superior
    "review_as_subordinate",    # 360: rate one's own direct superior
    "review_as_superior",       # 360: rate a direct subordinate
    "decide_activity",          # approve, reject or send back a direct subordinate's activity
    "read_own",                 # read one's own activities and months
    "read_own_source",          # an e-service reads the activities it reported
    "read_subordinates",        # read direct subordinates' activities and months
    "read_own_queue",           # read one's own queue of activities waiting for validation
    "read_all",                 # read every projection (lists, roll-ups, anyone's data)
    "manage_roster",            # register employees, change reporting lines
    "close_period",             # close a period before its close day
    "publish_policy",           # publish an allowance policy version
    "appoint_acting",           # appoint an acting superior (Plt / Plh) for a date range
    "record_attendance",        # an attendance source sends check-ins, check-outs, absences
    "justify_own_absence",      # justify one's own absence (sick, leave, duty travel)
    "decide_justification",     # approve or reject a direct subordinate's justification
    "manage_finance",           # record an employee's NPWP and bank account
    "read_finance",             # read NPWP and bank accounts unmasked, and the payroll files
    "record_payment",           # record the payment order (SP2D) of a unit's TPP listing
    "appraise_subordinate",     # set a direct subordinate's SKP, validate its realisation, rate
    "record_unit_predicate",    # record a unit's organisational predicate (distribution curve)
    "file_objection",           # object to one's own closed month's result (keberatan)
    "decide_objection",         # decide an objection one is the decider of (or acts for)
    "export_personal_data",     # produce a data subject's access export (UU PDP art. 32)
    "restrict_processing",      # restrict (or lift the restriction of) a person's processing
    "request_erasure",          # ask for a person's personal data to be erased (UU PDP)
]

_EMPLOYEE: frozenset[Action] = frozenset({
    "report_own_activity", "review_as_peer", "review_as_subordinate", "read_own",
    "justify_own_absence", "file_objection"})

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    "employee": _EMPLOYEE,
    "superior": _EMPLOYEE | {"decide_activity", "review_as_superior", "read_subordinates",
                             "read_own_queue", "decide_justification",
                             "appraise_subordinate", "decide_objection"},
    "eservice": frozenset({"report_for_source", "read_own_source", "record_attendance"}),
    "admin": frozenset({"manage_roster", "close_period", "publish_policy", "appoint_acting",
                        "read_all", "manage_finance", "read_finance",
                        "record_unit_predicate", "export_personal_data",
                        "restrict_processing", "request_erasure"}),
    "treasurer": frozenset({"read_finance", "record_payment"}),
    "auditor": frozenset({"read_all"}),
    "dashboard": frozenset({"read_all"}),
}
"""The one role -> actions table (the README shows it as a table)."""

REVIEW_ACTIONS: dict[Relation, Action] = {
    "peer": "review_as_peer", "subordinate": "review_as_subordinate",
    "superior": "review_as_superior"}
"""The action a 360 review is, by the rater's relation to the ratee."""


def allows(role: Role, *actions: Action) -> bool:
    """Whether ``role`` may do at least one of ``actions``."""
    granted = ROLE_ACTIONS[role]
    return any(action in granted for action in actions)


def roles_for(*actions: Action) -> list[Role]:
    """The roles allowed at least one of ``actions`` (for refusal messages)."""
    return [role for role in ROLE_ACTIONS if allows(role, *actions)]


def role_refusal(role: Role, *actions: Action) -> str | None:
    """The refusal message when ``role`` may do none of ``actions``; None when it may."""
    return None if allows(role, *actions) else _not_for(role, *actions)


def _not_for(role: Role, *actions: Action) -> str:
    return f"role {role!r} may not do this (allowed: {', '.join(roles_for(*actions))})"


Refusal = tuple[str, str]
"""(stable code, message)."""


def read_refusal(role: Role, subject: str, owner_nip: str,
                 owner_superior: str | None) -> Refusal | None:
    """May a principal read ``owner_nip``'s data? ``owner_superior``: the owner's direct
    superior on the date the data is about (an activity's work date, a month's last day or
    today if earlier). None when allowed."""
    if allows(role, "read_all"):
        return None
    if subject == owner_nip and allows(role, "read_own"):
        return None
    if not allows(role, "read_subordinates"):
        return "role_not_allowed", _not_for(role, "read_subordinates", "read_all")
    if owner_superior != subject:
        return ("not_direct_superior",
                "only the owner and their direct superior on that date may read this")
    return None


def activity_read_refusal(role: Role, subject: str, source: str, owner_nip: str,
                          owner_superior: str | None) -> Refusal | None:
    """May a principal read an activity of ``owner_nip`` that came through ``source``? An
    e-service reads those of its own source (whoever they are of) and no other; everyone
    else as :func:`read_refusal` says. None when allowed."""
    if allows(role, "read_own_source"):
        if source == subject:
            return None
        return "not_own_source", "an e-service reads only the activities it reported"
    return read_refusal(role, subject, owner_nip, owner_superior)


def queue_refusal(role: Role, subject: str, superior_nip: str) -> Refusal | None:
    """May a principal read ``superior_nip``'s pending-validation queue? None when allowed."""
    if allows(role, "read_all"):
        return None
    if not allows(role, "read_own_queue"):
        return "role_not_allowed", _not_for(role, "read_own_queue", "read_all")
    if subject != superior_nip:
        return "not_own_queue", "a superior reads only their own queue"
    return None


def month_line_date(period: str, today: date) -> date:
    """The date whose reporting line gives authority over a month 'YYYY-MM' (its 360
    relations, reading it): the month's last day, or today while the month runs."""
    year, month = int(period[:4]), int(period[5:])
    return min(date(year, month, calendar.monthrange(year, month)[1]), today)


@dataclass(frozen=True)
class ActingAppointment:
    """``acting_nip`` takes ``head_nip``'s place as direct superior from ``valid_from`` to
    ``valid_to``, both days included. The head keeps their own authority meanwhile."""

    head_nip: str
    acting_nip: str
    kind: ActingKind
    valid_from: date
    valid_to: date

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to

    def overlaps(self, valid_from: date, valid_to: date) -> bool:
        return self.valid_from <= valid_to and valid_from <= self.valid_to


def acting_for(subject: str, superior: str | None, day: date,
               appointments: Iterable[ActingAppointment]) -> str | None:
    """The head in whose place ``subject`` acts over someone whose direct superior on ``day``
    is ``superior``: that superior when one of ``superior``'s appointments names ``subject``
    and covers ``day``; None otherwise (the superior themself needs no appointment: nobody
    is ever appointed in their own place)."""
    for appointment in appointments:
        if (appointment.head_nip == superior and appointment.acting_nip == subject
                and appointment.covers(day)):
            return superior
    return None
