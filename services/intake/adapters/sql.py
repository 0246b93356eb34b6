"""The SQL of the hot path that SQLAlchemy's expression language would make slower or
plan badly: key pairs looked up and day minutes added through an unnest of arrays."""

from dataclasses import fields
from operator import attrgetter

from sqlalchemy import text

from services.intake.adapters import tables as t
from services.intake.domain.activity import Activity

ACTIVITY_FIELDS = [f.name for f in fields(Activity)]
"""The activities table's columns, in the order of ``Activity``'s fields."""
ACTIVITY_COLUMNS = [t.activities.c[name] for name in ACTIVITY_FIELDS]
activity_values = attrgetter(*ACTIVITY_FIELDS)
"""An activity's column values, in order (a shallow astuple())."""

# One SQL text for any number of rows (unnest of arrays), so it is prepared once.
ADD_MINUTES = text("""
    INSERT INTO day_minutes (nip, work_date, minutes)
    SELECT * FROM unnest(CAST(:nips AS text[]), CAST(:days AS date[]), CAST(:minutes AS int[]))
    ON CONFLICT (nip, work_date) DO UPDATE SET minutes = day_minutes.minutes + EXCLUDED.minutes
""")

# Key pairs are looked up by joining an unnest of arrays: one index probe per pair, whatever
# the planner guesses (`a = ANY(..) AND b = ANY(..)` was planned as a scan of every row of a
# busy source: seconds instead of milliseconds), and one SQL text for any number of pairs.
ACTIVITIES_BY_REF = text(f"""
    SELECT {", ".join("a." + name for name in ACTIVITY_FIELDS)}
    FROM unnest(CAST(:sources AS text[]), CAST(:refs AS text[])) AS k(source, external_ref)
    JOIN activities a ON a.source = k.source AND a.external_ref = k.external_ref
""")
DAY_MINUTES = text("""
    SELECT d.nip, d.work_date, d.minutes
    FROM unnest(CAST(:nips AS text[]), CAST(:days AS date[])) AS k(nip, work_date)
    JOIN day_minutes d ON d.nip = k.nip AND d.work_date = k.work_date
""")
