"""A month (or a day) of traffic for an organisation, from a seed. Pure: no I/O, no clock.

Each working day every employee does some work: counter officers' e-Samsat steps arrive from
the e-Samsat service with the transaction id as ``external_ref`` and a standard duration;
office staff's letters and dispositions come from the e-Office service; the rest is reported
by the people themselves in the app. The direct superior validates a day's work the next
working day (most approved, some rejected, a few sent back for revision: the owner amends
those the day after, and the superior approves the amendment); near the month's end
superiors, peers and subordinates submit 360 reviews.
"""

import heapq
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from services.simulator.domain.org import Employee, Organisation

Channel = Literal["esamsat", "eoffice", "app"]

ESAMSAT_STEPS = (
    # (step, standard minutes, output) - officer-side steps of one e-Samsat transaction
    ("Pemeriksaan data kendaraan dan identitas wajib pajak", 12, "Data terverifikasi"),
    ("Pengesahan STNK tahunan", 10, "STNK disahkan"),
    ("Penerimaan pembayaran PKB dan SWDKLLJ", 8, "Bukti bayar"),
    ("Penyelesaian dan penyerahan dokumen", 15, "Notice pajak diserahkan"),
)
EOFFICE_WORK = (("Menyusun konsep surat dinas", "Konsep surat"),
                ("Menindaklanjuti disposisi pimpinan", "Tindak lanjut disposisi"),
                ("Memeriksa naskah dinas masuk", "Lembar disposisi"))
APP_WORK_COUNTER = ("Rekonsiliasi penerimaan harian loket", "Menyusun laporan harian pelayanan",
                    "Melayani konsultasi wajib pajak", "Pemutakhiran data kendaraan")
APP_WORK_OFFICE = ("Menyusun laporan realisasi pendapatan", "Mengolah data potensi pajak",
                   "Menyiapkan bahan rapat", "Memutakhirkan basis data wajib pajak",
                   "Menyusun telaahan staf", "Verifikasi dokumen keuangan")
APP_WORK_HEAD = ("Memimpin rapat koordinasi", "Melakukan pembinaan pegawai",
                 "Monitoring capaian penerimaan", "Menelaah laporan bawahan",
                 "Menghadiri rapat dengan pimpinan")
REJECT_NOTES = ("Bukti kegiatan tidak sesuai", "Kegiatan bukan tugas jabatan",
                "Durasi tidak wajar")
REVISION_NOTES = ("Lengkapi uraian output", "Lampirkan bukti kegiatan", "Perbaiki durasi")


@dataclass(frozen=True)
class Profile:
    """Proportions of the traffic. What is not approved, rejected or sent back stays pending."""

    approve: float = 0.90
    reject: float = 0.03
    revise: float = 0.04
    absent: float = 0.05
    """Chance an employee reports nothing on a working day (leave, sick, training)."""
    superior_reviews: float = 0.95
    peer_reviews: int = 4
    """Most peers who rate an employee."""
    peer_review_chance: float = 0.8
    subordinate_reviews: float = 0.7


@dataclass(frozen=True)
class Report:
    activity_id: str
    nip: str
    work_date: date
    minutes: int
    description: str
    output: str | None
    external_ref: str | None
    channel: Channel
    at_minute: int
    """Minute of the working day (0 = 07:30) the report is made."""

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"activity_id": self.activity_id, "nip": self.nip,
                                   "work_date": self.work_date.isoformat(),
                                   "minutes": self.minutes, "description": self.description}
        if self.output is not None:
            body["output"] = self.output
        if self.external_ref is not None:
            body["external_ref"] = self.external_ref
        return body


@dataclass(frozen=True)
class Decision:
    activity_id: str
    owner_nip: str
    superior_nip: str
    decision: Literal["approved", "rejected", "revision_requested"]
    note: str | None


@dataclass(frozen=True)
class Review:
    period: str
    rater_nip: str
    ratee_nip: str
    scores: dict[str, int]
    comment: str | None


@dataclass(frozen=True)
class Revision:
    """The owner amends an activity sent back for revision, then the superior approves it
    (one action, so the approval can never overtake the amendment)."""

    activity_id: str
    owner_nip: str
    minutes: int
    description: str
    output: str
    approval: Decision

    def body(self) -> dict[str, object]:
        return {"minutes": self.minutes, "description": self.description,
                "output": self.output}


Action = Report | Decision | Review | Revision


@dataclass(frozen=True)
class Day:
    reports: list[Report]
    decisions: list[Decision]
    """First decisions on this day's reports (made the next working day)."""
    follow_ups: list[Revision]
    """Amendments after a revision request, each then approved (the working day after)."""


def working_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def month_bounds(period: str) -> tuple[date, date]:
    year, month = int(period[:4]), int(period[5:7])
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


_VERSION_4 = (~(0xF000 << 64) & ~(0xC000 << 48), (4 << 76) | (0x8000 << 48))
"""The masks ``uuid.UUID(int=..., version=4)`` applies (version and variant bits)."""


def _uuid(rng: random.Random) -> str:
    """``str(uuid.UUID(int=rng.getrandbits(128), version=4))``, a third of its cost (the
    planner draws one per report)."""
    clear, set_ = _VERSION_4
    h = f"{rng.getrandbits(128) & clear | set_:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def plan_day(org: Organisation, day: date, seed: int, profile: Profile = Profile()) -> Day:
    """Everyone's work on ``day`` and how their superiors will decide on it."""
    rng = random.Random(f"day:{seed}:{org.province}:{day.isoformat()}")
    reports: list[Report] = []
    for employee in org.employees:
        if rng.random() < profile.absent:
            continue
        reports.extend(_work(rng, org, employee, day))
    reports.sort(key=lambda r: r.at_minute)
    decisions: list[Decision] = []
    follow_ups: list[Revision] = []
    for report in reports:
        boss = org.get(report.nip).superior_nip
        if boss is None:
            continue
        roll = rng.random()
        if roll < profile.approve:
            decisions.append(Decision(report.activity_id, report.nip, boss, "approved", None))
        elif roll < profile.approve + profile.reject:
            decisions.append(Decision(report.activity_id, report.nip, boss, "rejected",
                                      rng.choice(REJECT_NOTES)))
        elif roll < profile.approve + profile.reject + profile.revise:
            decisions.append(Decision(report.activity_id, report.nip, boss,
                                      "revision_requested", rng.choice(REVISION_NOTES)))
            # no draw from rng: the rest of the traffic stays what each seed always gave
            follow_ups.append(Revision(
                report.activity_id, report.nip, report.minutes - report.minutes // 4,
                report.description, "Bukti kegiatan terlampir",
                Decision(report.activity_id, report.nip, boss, "approved", "Sudah diperbaiki")))
    return Day(reports, decisions, follow_ups)


def _work(rng: random.Random, org: Organisation, e: Employee, day: date) -> list[Report]:
    items: list[tuple[str, int, str | None, str | None, Channel]] = []
    stamp = f"{day:%Y%m%d}"
    if e.counter:
        for _ in range(rng.randint(6, 10)):
            step, minutes, output = rng.choice(ESAMSAT_STEPS)
            ref = f"ESMT-{stamp}-{e.unit[-6:]}-{rng.getrandbits(40):012x}"
            items.append((step, minutes, output, ref, "esamsat"))
        for _ in range(2):
            items.append((rng.choice(APP_WORK_COUNTER), rng.randint(90, 150), None, None, "app"))
    elif e.structural:
        for _ in range(rng.randint(2, 4)):
            items.append((rng.choice(APP_WORK_HEAD), rng.randint(60, 150), None, None, "app"))
    else:
        for _ in range(rng.randint(1, 2)):
            work, output = rng.choice(EOFFICE_WORK)
            ref = f"EOFC-{stamp}-{rng.getrandbits(40):012x}"
            items.append((work, rng.randint(30, 90), output, ref, "eoffice"))
        for _ in range(rng.randint(2, 3)):
            items.append((rng.choice(APP_WORK_OFFICE), rng.randint(60, 120), None, None, "app"))
    reports = []
    for description, minutes, output_, ref_, channel in items:
        at = rng.randint(0, 540) if channel != "app" else rng.randint(240, 570)
        reports.append(Report(_uuid(rng), e.nip, day, minutes, description, output_, ref_,
                              channel, at))
    return reports


def plan_reviews(org: Organisation, period: str, seed: int,
                 indicators: Sequence[tuple[str, bool]],
                 profile: Profile = Profile()) -> list[Review]:
    """360 reviews for ``period``: ``indicators`` is (name, structural_only) of the policy."""
    rng = random.Random(f"reviews:{seed}:{org.province}:{period}")
    quality = {e.nip: rng.gauss(84, 6) for e in org.employees}
    reviews: list[Review] = []
    for ratee in org.employees:
        raters: list[str] = []
        if ratee.superior_nip is not None and rng.random() < profile.superior_reviews:
            raters.append(ratee.superior_nip)
        peers = org.peers(ratee.nip)
        for peer in rng.sample(peers, min(len(peers), profile.peer_reviews)):
            if rng.random() < profile.peer_review_chance:
                raters.append(peer)
        raters += [s for s in org.subordinates(ratee.nip)
                   if rng.random() < profile.subordinate_reviews]
        names = [name for name, only_structural in indicators
                 if ratee.structural or not only_structural]
        for rater in raters:
            bias = rng.gauss(0, 3)
            scores = {n: max(40, min(100, round(quality[ratee.nip] + bias + rng.gauss(0, 4))))
                      for n in names}
            reviews.append(Review(period, rater, ratee.nip, scores, None))
    return reviews


def plan_days(org: Organisation, days: Sequence[date], seed: int,
              profile: Profile = Profile()) -> Iterator[Action]:
    """The days' reports in time order; each day's decisions on the next working day, the
    amendments after revision (and their approval) on the day after that (the rest at the
    end)."""
    planned: list[Day] = []
    for index, day in enumerate(days):
        planned.append(plan_day(org, day, seed, profile))
        yield from planned[index].reports
        if index >= 1:
            yield from planned[index - 1].decisions
        if index >= 2:
            yield from planned[index - 2].follow_ups
            planned[index - 2] = Day([], [], [])  # free memory
    if len(planned) >= 1:
        yield from planned[-1].decisions
    if len(planned) >= 2:
        yield from planned[-2].follow_ups
    if planned:
        yield from planned[-1].follow_ups


def plan_live_day(org: Organisation, day: date, seed: int, lag: int = 40,
                  profile: Profile = Profile()) -> Iterator[Action]:
    """Today's stream: reports in time order; each decision ``lag`` reports after its
    activity (validations a little later), amendments after revision ``lag`` later again."""
    planned = plan_day(org, day, seed, profile)
    decisions = {d.activity_id: d for d in planned.decisions}
    follow_ups = {d.activity_id: d for d in planned.follow_ups}
    pending: list[tuple[int, int, Decision | Revision]] = []  # (due index, tie-break, action)
    for i, report in enumerate(planned.reports):
        yield report
        if report.activity_id in decisions:
            heapq.heappush(pending, (i + lag, 2 * i, decisions[report.activity_id]))
        if report.activity_id in follow_ups:
            heapq.heappush(pending, (i + 2 * lag, 2 * i + 1, follow_ups[report.activity_id]))
        while pending and pending[0][0] <= i:
            yield heapq.heappop(pending)[2]
    while pending:
        yield heapq.heappop(pending)[2]


def count(actions: Iterable[Action]) -> dict[str, int]:
    totals = {"reports": 0, "decisions": 0, "reviews": 0, "revisions": 0}
    for action in actions:
        key = ("reports" if isinstance(action, Report) else
               "decisions" if isinstance(action, Decision) else
               "revisions" if isinstance(action, Revision) else "reviews")
        totals[key] += 1
        totals["decisions"] += isinstance(action, Revision)  # its approval
    return totals
