"""The printable access export (reportlab, invariant mode like the payroll recap): the
person, their months, their events (type, time, a short summary) and who read their data."""

import io
import json
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

_GRID = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("FONTSIZE", (0, 0), (-1, -1), 7), ("VALIGN", (0, 0), (-1, -1), "TOP")])
SUMMARY_CHARS = 160


def access_pdf(export: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    title = f"Personal data access export {export['subject_nip']}"
    document = SimpleDocTemplate(out, pagesize=A4, invariant=True, title=title, author="e-RK",
                                 creator="e-RK", subject=title, leftMargin=12 * mm,
                                 rightMargin=12 * mm)
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8)
    story: list[Any] = [
        Paragraph(f"Akses data pribadi / personal data access: {export['subject_nip']}",
                  styles["Title"]),
        Paragraph(f"Produced at {export['produced_at'].isoformat()}", styles["Normal"]),
        *[Paragraph(note, small) for note in export["notes"]], Spacer(1, 4 * mm),
        Paragraph("Roster entry", styles["Heading3"]), _table(_person(export["person"]), small),
        Paragraph("Months", styles["Heading3"]), _table(_months(export["months"]), small),
        Paragraph(f"Events ({len(export['events'])})", styles["Heading3"]),
        _table(_events(export["events"]), small),
        Paragraph(f"Reads of your data ({len(export['reads'])})", styles["Heading3"]),
        _table(_reads(export["reads"]), small)]
    document.build(story)
    return out.getvalue()


def _person(person: dict[str, Any]) -> list[list[str]]:
    return [["Field", "Value"], *([key, _text(value)] for key, value in person.items())]


def _months(months: list[dict[str, Any]]) -> list[list[str]]:
    rows = [["Period", "Minutes approved", "360 score", "Eligibility"]]
    for month in months:
        minutes, behaviour, found = month["minutes"] or {}, month["behaviour"], \
            month["eligibility"]
        rows.append([month["period"], str(minutes.get("approved_minutes", "")),
                     "" if behaviour is None else str(behaviour["score"]),
                     "" if found is None else f"{found.get('category')} "
                     f"{found.get('percentage')} % ({found.get('state')})"])
    return rows


def _events(events: list[dict[str, Any]]) -> list[list[str]]:
    return [["Position", "Recorded", "Event", "By", "Summary"],
            *([str(e["position"]), e["recorded_at"].isoformat(timespec="seconds"),
               e["event_type"], e["actor"], _text(e["payload"])[:SUMMARY_CHARS]]
              for e in events)]


def _reads(reads: list[dict[str, Any]]) -> list[list[str]]:
    return [["When", "Reader", "Role", "Endpoint"],
            *([r["read_at"].isoformat(timespec="seconds"), r["reader"], r["reader_role"],
               r["endpoint"]] for r in reads)]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _table(rows: list[list[str]], style: Any) -> Table:
    cells = [[Paragraph(_escape(cell), style) for cell in row] for row in rows]
    table = Table(cells, repeatRows=1)
    table.setStyle(_GRID)
    return table


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
