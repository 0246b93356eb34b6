"""Event store (append-only, hash-chained) and the intake write model.

Revision ID: intake_0001
"""

from alembic import op

revision = "intake_0001"
down_revision = None
branch_labels = ("intake",)
depends_on = None


STATEMENTS = [
    """CREATE TABLE events (
        position        bigint PRIMARY KEY,
        event_id        uuid NOT NULL UNIQUE,
        stream_id       text NOT NULL,
        stream_version  integer NOT NULL,
        event_type      text NOT NULL,
        schema_version  smallint NOT NULL,
        subject_nip     text NOT NULL,
        occurred_at     timestamptz NOT NULL,
        recorded_at     timestamptz NOT NULL,
        actor           text NOT NULL,
        source          text NOT NULL,
        correlation_id  uuid NOT NULL,
        causation_id    uuid,
        payload         jsonb NOT NULL,
        prev_hash       bytea NOT NULL,
        hash            bytea NOT NULL,
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version))""",
    "CREATE INDEX events_recorded_at ON events (recorded_at)",
    # The store is append-only: updates, deletes and truncation are refused for everyone.
    """CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the event store is append-only (% refused)', TG_OP;
    END $$""",
    """CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable()""",
    "CREATE TABLE relay_checkpoint (name text PRIMARY KEY, position bigint NOT NULL)",
    """CREATE TABLE employees (
        nip text PRIMARY KEY, name text NOT NULL, unit text NOT NULL,
        position text NOT NULL, structural boolean NOT NULL,
        employment_type text NOT NULL, job_class smallint NOT NULL, version integer NOT NULL)""",
    """CREATE TABLE reporting_lines (
        nip text NOT NULL, effective_from date NOT NULL, superior_nip text,
        PRIMARY KEY (nip, effective_from))""",
    "CREATE INDEX reporting_lines_superior ON reporting_lines (superior_nip)",
    """CREATE TABLE activities (
        activity_id uuid PRIMARY KEY, nip text NOT NULL, work_date date NOT NULL,
        minutes integer NOT NULL, source text NOT NULL, external_ref text,
        status text NOT NULL, version integer NOT NULL, event_id uuid NOT NULL,
        CONSTRAINT activities_source_ref UNIQUE (source, external_ref))""",
    "CREATE INDEX activities_nip_day ON activities (nip, work_date)",
    "CREATE TABLE periods (period text PRIMARY KEY, closed_at timestamptz NOT NULL)",
    """CREATE TABLE policies (
        version text PRIMARY KEY, effective_from text NOT NULL, document jsonb NOT NULL,
        stream_version integer NOT NULL)""",
    """CREATE TABLE behaviour_reviews (
        period text NOT NULL, rater_nip text NOT NULL, ratee_nip text NOT NULL,
        version integer NOT NULL, PRIMARY KEY (period, rater_nip, ratee_nip))""",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE behaviour_reviews, policies, periods, activities, reporting_lines, "
               "employees, relay_checkpoint, events")
    op.execute("DROP FUNCTION events_are_immutable()")
