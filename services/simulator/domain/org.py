"""A synthetic provincial revenue agency (Bapenda) with its UPT Samsat offices, from a seed.

Pure: no I/O, no clock. The same (employees, seed, province) gives the same organisation.
"""

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

FIRST_NAMES_M = ["Agus", "Budi", "Dedi", "Eko", "Fajar", "Hendra", "Irfan", "Joko", "Kurniawan",
                 "Lukman", "Muhammad", "Nanang", "Rudi", "Slamet", "Taufik", "Wahyu", "Yusuf",
                 "Asep", "Dadang", "Ujang", "Rizal", "Bambang", "Hari", "Andi", "Teguh"]
FIRST_NAMES_F = ["Ani", "Dewi", "Endang", "Fitri", "Indah", "Lestari", "Nur", "Putri", "Rina",
                 "Siti", "Sri", "Tuti", "Wulan", "Yanti", "Ratna", "Neneng", "Euis", "Dian",
                 "Maya", "Novi", "Ayu", "Kartika", "Rahmawati", "Intan", "Wati"]
LAST_NAMES = ["Santoso", "Wijaya", "Saputra", "Hidayat", "Kusuma", "Pratama", "Nugroho",
              "Setiawan", "Rahman", "Siregar", "Nasution", "Harahap", "Gunawan", "Susanto",
              "Permana", "Ramadhan", "Firmansyah", "Sulistyo", "Hakim", "Suryadi", "Purnama",
              "Maulana", "Syahputra", "Lubis", "Hasibuan", "Sembiring", "Tanjung", "Utami"]
CITIES = ["Bandung", "Bekasi", "Bogor", "Cirebon", "Depok", "Garut", "Karawang", "Kuningan",
          "Majalengka", "Purwakarta", "Subang", "Sukabumi", "Sumedang", "Tasikmalaya", "Banjar",
          "Cianjur", "Ciamis", "Indramayu", "Pangandaran", "Cimahi"]
DIVISIONS = [("SEKRETARIAT", "Sekretariat"), ("PAJAK", "Bidang Pajak Daerah"),
             ("RETRIBUSI", "Bidang Retribusi"), ("PERENCANAAN", "Bidang Perencanaan Pendapatan"),
             ("PENGENDALIAN", "Bidang Pengendalian dan Evaluasi"),
             ("TI", "Bidang Sistem Informasi")]
SAMSAT_SECTIONS = ["Seksi Pendaftaran dan Penetapan", "Seksi Penerimaan dan Penyetoran",
                   "Seksi Penagihan", "Subbagian Tata Usaha"]
DIVISION_SECTIONS = ["Subbidang Pelaporan", "Subbidang Pendataan", "Subbidang Evaluasi",
                     "Subbagian Umum"]
COUNTER_POSITIONS = ["Petugas Pelayanan Samsat", "Verifikator Data Kendaraan", "Kasir Samsat",
                     "Petugas Pengesahan STNK"]
OFFICE_POSITIONS = ["Analis Pendapatan Daerah", "Pengelola Data", "Pranata Komputer",
                    "Pengadministrasi Umum", "Analis Keuangan", "Arsiparis"]

EMPLOYMENT_MIX = (("PNS", 0.75), ("PPPK", 0.20), ("CPNS", 0.05))
"""Share of employment types among staff; heads are PNS."""
REFERENCE_YEAR = 2025
"""Latest appointment year generated: NIPs stay valid whatever today's date is after it."""


@dataclass(frozen=True)
class Employee:
    nip: str
    name: str
    unit: str
    position: str
    structural: bool
    employment_type: str
    job_class: int
    superior_nip: str | None
    counter: bool = False
    """Works an e-Samsat counter: the e-service reports their transactions."""
    level: int = 0
    """0 = head of the agency, 1 = unit head, 2 = section head, 3 = staff."""


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    samsat: bool


@dataclass
class Organisation:
    province: str
    seed: int
    units: list[Unit]
    employees: list[Employee]
    _by_nip: dict[str, Employee] = field(default_factory=dict, repr=False)
    _subordinates: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_nip = {e.nip: e for e in self.employees}
        self._subordinates = {}
        for e in self.employees:
            if e.superior_nip is not None:
                self._subordinates.setdefault(e.superior_nip, []).append(e.nip)

    def get(self, nip: str) -> Employee:
        return self._by_nip[nip]

    def subordinates(self, nip: str) -> list[str]:
        return self._subordinates.get(nip, [])

    def peers(self, nip: str) -> list[str]:
        boss = self._by_nip[nip].superior_nip
        return [] if boss is None else [p for p in self.subordinates(boss) if p != nip]

    @property
    def eservice(self) -> str:
        return f"esamsat-{self.province}"

    @property
    def eoffice(self) -> str:
        return f"eoffice-{self.province}"


class _Nips:
    """Unique valid NIPs: birth YYYYMMDD + appointment YYYYMM + gender + sequence."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, gender: str, min_birth: int, max_birth: int, appointed_from: int,
             appointed_to: int) -> str:
        rng = self.rng
        birth = date(rng.randint(min_birth, max_birth), rng.randint(1, 12), rng.randint(1, 28))
        year = rng.randint(max(appointed_from, birth.year + 19),
                           max(appointed_to, birth.year + 19))
        year = min(year, REFERENCE_YEAR)
        prefix = f"{birth:%Y%m%d}{year:04d}{rng.randint(1, 12):02d}{gender}"
        for sequence in range(rng.randint(1, 20), 1000):
            nip = f"{prefix}{sequence:03d}"
            if nip not in self.used:
                self.used.add(nip)
                return nip
        return self.make(gender, min_birth, max_birth, appointed_from, appointed_to)


def _name(rng: random.Random, gender: str) -> str:
    first = rng.choice(FIRST_NAMES_M if gender == "1" else FIRST_NAMES_F)
    return f"{first} {rng.choice(LAST_NAMES)}"


def _unit_sizes(staff_total: int, units: int, rng: random.Random) -> list[int]:
    """Split ``staff_total`` over ``units`` with some spread; every unit gets at least 1."""
    weights = [rng.uniform(0.6, 1.6) for _ in range(units)]
    total = sum(weights)
    sizes = [max(1, int(staff_total * w / total)) for w in weights]
    i = 0
    while sum(sizes) < staff_total:
        sizes[i % units] += 1
        i += 1
    while sum(sizes) > staff_total:
        j = max(range(units), key=lambda k: sizes[k])
        sizes[j] -= 1
    return sizes


def build_organisation(employees: int, seed: int, province: str = "jabar",
                       unit_size: int = 40, samsat_share: float = 0.7) -> Organisation:
    """A Bapenda of ``employees`` people: the head of the agency; division and UPT Samsat
    units, each with a structural head, section heads (one per ~12 staff) and staff."""
    if employees < 2:
        raise ValueError("an organisation needs at least 2 employees")
    rng = random.Random(f"org:{seed}:{province}:{employees}")
    nips = _Nips(rng)
    people: list[Employee] = []
    units: list[Unit] = []
    agency = f"BAPENDA-{province.upper()}"
    top_gender = rng.choice("12")
    top = Employee(nips.make(top_gender, 1966, 1975, 1990, 2000), _name(rng, top_gender),
                   agency, "Kepala Badan Pendapatan Daerah", True, "PNS", 15, None, level=0)
    people.append(top)
    units.append(Unit(agency, "Badan Pendapatan Daerah", False))

    remaining = employees - 1
    unit_count = max(1, min(remaining, round(remaining / unit_size)))
    samsat_units = round(unit_count * samsat_share) if unit_count > 1 else 1
    division_units = unit_count - samsat_units
    plans: list[Unit] = []
    for i in range(division_units):
        code, name = DIVISIONS[i % len(DIVISIONS)]
        suffix = f"-{i // len(DIVISIONS) + 1}" if i >= len(DIVISIONS) else ""
        plans.append(Unit(f"{agency}-{code}{suffix}", name + suffix.replace("-", " "), False))
    for i in range(samsat_units):
        city = CITIES[i % len(CITIES)]
        number = i // len(CITIES) + 1
        plans.append(Unit(f"SAMSAT-{city.upper()}-{number:02d}",
                          f"UPT Samsat {city} {number}", True))
    units.extend(plans)

    for unit, size in zip(plans, _unit_sizes(remaining, len(plans), rng), strict=True):
        gender = rng.choice("12")
        title = f"Kepala {unit.name}"
        if unit.name.startswith("Sekretariat"):
            title = "Sekretaris Badan"
        head = Employee(nips.make(gender, 1968, 1980, 1993, 2005), _name(rng, gender),
                        unit.code, title, True, "PNS", 12, top.nip, level=1)
        people.append(head)
        staff = size - 1
        section_count = min(4, staff // 12)
        sections = SAMSAT_SECTIONS if unit.samsat else DIVISION_SECTIONS
        section_heads: list[Employee] = []
        for s in range(section_count):
            gender = rng.choice("12")
            section_heads.append(Employee(
                nips.make(gender, 1972, 1985, 1997, 2012), _name(rng, gender), unit.code,
                f"Kepala {sections[s]}", True, "PNS", 9, head.nip, level=2))
        people.extend(section_heads)
        for k in range(staff - section_count):
            boss = section_heads[k % section_count] if section_heads else head
            people.append(_staff(rng, nips, unit, boss.nip))
    return Organisation(province, seed, units, people)


def _staff(rng: random.Random, nips: _Nips, unit: Unit, boss: str) -> Employee:
    gender = rng.choice("12")
    roll, cumulative, kind = rng.random(), 0.0, "PNS"
    for name, share in EMPLOYMENT_MIX:
        cumulative += share
        if roll < cumulative:
            kind = name
            break
    if kind == "CPNS":
        nip = nips.make(gender, 1996, 2002, REFERENCE_YEAR, REFERENCE_YEAR)
        job_class = rng.choice([5, 6])
    elif kind == "PPPK":
        nip = nips.make(gender, 1980, 1998, 2019, REFERENCE_YEAR)
        job_class = rng.choice([5, 6, 7])
    else:
        nip = nips.make(gender, 1970, 1997, 1995, 2023)
        job_class = rng.choice([6, 7, 8, 8])
    counter = unit.samsat and rng.random() < 0.7
    position = rng.choice(COUNTER_POSITIONS if counter else OFFICE_POSITIONS)
    return Employee(nip, _name(rng, gender), unit.code, position, False, kind, job_class, boss,
                    counter=counter, level=3)


COLUMNS = ["nip", "name", "unit", "position", "structural", "employment_type", "job_class",
           "superior_nip", "effective_from"]


def roster_chunks(org: Organisation, effective_from: date, max_rows: int = 50_000) -> (
    Iterator[str]
):
    """The roster as CSV files of at most ``max_rows`` rows, superiors before subordinates
    (employees are ordered by level), ready for POST /v1/employees/import."""
    ordered = sorted(org.employees, key=lambda e: e.level)  # stable: generation order inside
    for start in range(0, len(ordered), max_rows):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for e in ordered[start:start + max_rows]:
            writer.writerow([e.nip, e.name, e.unit, e.position, str(e.structural).lower(),
                             e.employment_type, e.job_class, e.superior_nip or "",
                             effective_from.isoformat() if e.superior_nip else ""])
        yield out.getvalue()
