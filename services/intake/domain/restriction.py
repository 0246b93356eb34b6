"""Restriction of processing (UU PDP art. 11, 41): an admin restricts a person's processing
and lifts it again; each is an event on the person's stream. Repeating either is allowed
(the read side keeps the latest), so a retried request does no harm."""

from services.intake.domain import commands as c
from services.intake.domain.checks import require
from services.intake.domain.errors import not_found
from shared.auth import Principal
from shared.events import ProcessingRestricted, ProcessingRestrictionLifted


def restrict_processing(cmd: c.RestrictProcessing, principal: Principal, known: bool) -> (
    ProcessingRestricted
):
    require(principal, "restrict_processing")
    _known(known)
    return ProcessingRestricted(**cmd.model_dump())


def lift_processing_restriction(cmd: c.LiftProcessingRestriction, principal: Principal,
                                known: bool) -> ProcessingRestrictionLifted:
    require(principal, "restrict_processing")
    _known(known)
    return ProcessingRestrictionLifted(**cmd.model_dump())


def _known(known: bool) -> None:
    if not known:
        raise not_found("unknown_employee", "nip: no employee with this NIP", "nip")
