"""The demo's second agency, run under PermenPANRB 6/2022: a small Bapenda of another
province (division units only, so every unit code starts with the agency's code and one
agency policy governs them all) and its month under the 2022 regime: each superior sets
their subordinates' SKPs, the employees report realisation, the superiors validate it and
confirm the derived ratings (docs/performance-2022.md).

Pure: no I/O, no clock. The same (org, period, seed) gives the same plan.
"""

import random
import uuid
from dataclasses import dataclass

from services.simulator.domain.org import Organisation, build_organisation

PROVINCE_2022 = "banten"
"""The 2022 agency's province: its units are BAPENDA-BANTEN and BAPENDA-BANTEN-<division>."""
MIN_EMPLOYEES = 5
"""The head of the agency and two division units of a head and a member of staff each."""
TARGET = 20
"""Documents planned per SKP indicator."""
REALISED = (16, 20, 23)
"""Documents realised: 80, 100 and 115 % of the target, so results land below, as and above
expectation (the shipped thresholds: as expected from 100 %, above from 110 %)."""


def build_2022_agency(employees: int, seed: int, taken: frozenset[str] = frozenset()) -> (
    Organisation
):
    """A Bapenda of ``employees`` people in two division units (no UPT Samsat, whose unit
    codes would not carry the agency's prefix); no NIP of ``taken`` (the other agency's)."""
    if employees < MIN_EMPLOYEES:
        raise ValueError(f"the 2022 agency needs at least {MIN_EMPLOYEES} employees")
    unit_size = (employees - 1) // 2
    org = build_organisation(employees, seed, PROVINCE_2022, unit_size=unit_size,
                             samsat_share=0.0)
    clash = taken.intersection(e.nip for e in org.employees)
    if clash:
        raise ValueError(f"seed {seed}: {len(clash)} NIP(s) of the other agency; pick another")
    return org


def agency_code(org: Organisation) -> str:
    """The agency's own unit code, the prefix of all its units."""
    return f"BAPENDA-{org.province.upper()}"


@dataclass(frozen=True)
class SkpPlan:
    """One employee's month: the SKP their superior sets, the realisation they report."""

    nip: str
    superior_nip: str
    period: str
    realisation_id: str
    realised: int

    def skp_body(self) -> dict[str, object]:
        indicator = {"indicator_id": "dokumen", "aspect": "quantity",
                     "description": "Dokumen pendapatan daerah yang diselesaikan",
                     "target": TARGET, "unit": "dokumen"}
        return {"nip": self.nip, "period": self.period,
                "results": [{"rhk_id": "rhk-1", "kind": "main",
                             "description": "Meningkatnya pelayanan pendapatan daerah",
                             "indicators": [indicator]}]}

    def realisation_body(self) -> dict[str, object]:
        return {"realisation_id": self.realisation_id, "period": self.period,
                "rhk_id": "rhk-1", "indicator_id": "dokumen", "value": self.realised,
                "evidence": f"laporan-bulanan-{self.period}"}

    def decision_body(self) -> dict[str, object]:
        return {"nip": self.nip, "period": self.period, "realisation_id": self.realisation_id,
                "decision": "approved", "note": "Sesuai bukti"}

    def rating_body(self) -> dict[str, object]:
        return {"nip": self.nip, "period": self.period}


def plan_skps(org: Organisation, period: str, seed: int) -> list[SkpPlan]:
    """Every employee with a superior gets an SKP; realisation cycles through the
    realised figures so each results rating shows, in a seeded order."""
    rng = random.Random(f"skp:{seed}:{org.province}:{period}")
    led = [(e.nip, e.superior_nip) for e in org.employees if e.superior_nip is not None]
    realised = [REALISED[i % len(REALISED)] for i in range(len(led))]
    rng.shuffle(realised)
    return [SkpPlan(nip, superior, period, str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    value)
            for (nip, superior), value in zip(led, realised, strict=True)]
