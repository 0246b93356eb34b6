"""Erasure of a person's personal data (UU PDP art. 8 and 43), kept back by the retention of
appraisal facts (art. 15 and 44): a request waits until ``due_on``; then the person's data
key is destroyed (crypto-shredding, ``shared.keystore``) and that is recorded. The facts
that are no personal data (minutes, dates, scores, statuses) and the hash chain stay."""

from dataclasses import dataclass
from datetime import date, timedelta

from services.intake.domain import commands as c
from services.intake.domain.checks import require
from services.intake.domain.errors import conflict, not_found
from shared.auth import Principal
from shared.events import ErasureRequested, PersonalDataErased
from shared.policy import Policy


@dataclass(frozen=True)
class ErasureFacts:
    """An erasure request as the write model keeps it."""

    nip: str
    reference: str
    due_on: date
    erased_on: date | None


def request_erasure(cmd: c.RequestErasure, principal: Principal, employee_known: bool,
                    existing: ErasureFacts | None, policy: Policy,
                    today: date) -> ErasureRequested:
    require(principal, "request_erasure")
    if not employee_known:
        raise not_found("unknown_employee", f"nip: no employee {cmd.nip}", "nip")
    if existing is not None:
        raise conflict("erasure_already_requested",
                       f"nip: erasure already requested ({existing.reference}), due "
                       f"{existing.due_on.isoformat()}", "nip")
    return ErasureRequested(nip=cmd.nip, legal_basis=cmd.legal_basis,
                            reference=cmd.reference, requested_on=today,
                            due_on=today + timedelta(days=policy.personal_data_retention_days))


def complete_erasure(cmd: c.CompleteErasure, principal: Principal,
                     request: ErasureFacts | None, today: date) -> PersonalDataErased:
    require(principal, "request_erasure")
    if request is None:
        raise not_found("no_erasure_request", f"nip: no erasure requested for {cmd.nip}", "nip")
    if request.erased_on is not None:
        raise conflict("already_erased", f"nip: erased on {request.erased_on.isoformat()}",
                       "nip")
    if today < request.due_on:
        raise conflict("retention_not_passed",
                       f"nip: the retention keeps the data until {request.due_on.isoformat()}",
                       "nip")
    return PersonalDataErased(nip=cmd.nip, reference=request.reference, erased_on=today)


def due(requests: list[ErasureFacts], today: date) -> list[ErasureFacts]:
    """The requests whose retention has passed and that are not done yet."""
    return [r for r in requests if r.erased_on is None and r.due_on <= today]
