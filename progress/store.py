"""The crediting engine's fixed reads and writes, as plain SQL statements.

Why not the ORM here: the events endpoint is the platform's busiest, and the profile
(bench/profile_request.py) showed that building its ORM queries — compiling the query objects
to SQL, each time — cost more CPU than the database took to run them. The engine sends the same
few statements on every request, so they are written once here, in SQL that PostgreSQL and SQLite
both accept. Values still go through the model fields and the database backend (the fields'
``get_db_prep_*`` going in, the backend's and the fields' converters coming out), so rows read and
written here are exactly what the ORM reads and writes; ``tests/test_progress_*`` run on both
databases.

Rows are inserted with plain ``INSERT`` statements that do not read database-assigned keys back
(the engine needs none once a batch is written), in the same round trip as the updates; a
backlog's evidence log with ``COPY`` on PostgreSQL (``write``).

On PostgreSQL a batch's reads travel to the server together, in one round trip, and so do its
writes (``common.sql.run``, the plain-SQL kit these statements are built with): they are sent as
one query string, the statements separated by semicolons, and their results read one after the
other. They still run in order, inside the batch's transaction, so the learner's row lock is
taken before anything is read. SQLite runs them one by one (it is in the process: a statement
costs no round trip).

Statements are built only from the models' table and column names (quoted) and ``%s``
placeholders; every value is a parameter, bound by psycopg on the client as for every ORM query
(Django's cursors are psycopg's client-binding cursors). Hence the ``noqa: S608`` on them.

Private to ``progress`` (an import-linter contract): other apps read progress through
``progress.selectors`` and write it through ``progress.services``.
"""

import uuid
from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import Model

from common.sql import Statement, default_connection, placeholders, run, table
from learners.models import Learner
from progress.models import CreditedSpan, LessonProgress, PlaybackSession, ProgressEvent


def learner_id_for_user(user_id: int) -> int | None:
    """The id of the user's learner profile, or None if they have none."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {connection.ops.quote_name(Learner._meta.db_table)} WHERE user_id = %s",  # noqa: S608
            [user_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def learner_lock(learner_id: int) -> list[Statement]:
    """Lock the learner's row until the transaction ends. SQLite has no row locks and needs
    none: its transactions here begin IMMEDIATE (settings), which serializes writers."""
    if not connection.features.has_select_for_update:
        return []
    learners = connection.ops.quote_name(Learner._meta.db_table)
    return [Statement(f"SELECT 1 FROM {learners} WHERE id = %s FOR UPDATE", [learner_id])]  # noqa: S608


def accepted_event_ids(event_ids: Sequence[uuid.UUID], received_since=None, received_until=None) -> Statement:
    """Which of these client event ids were already applied (accepted): a set.

    ``received_since``/``received_until``: only acceptances received in between are looked at.
    On PostgreSQL the log is partitioned by month of ``received_at`` (docs/progress.md, "The log
    at scale"), and the bounds, sent as literals, let the planner read only the one or two
    partitions that can hold an earlier acceptance (``crediting.Batch._duplicates_between`` says
    why that is enough), not the months made ahead."""
    events = table(ProgressEvent)
    params = [events.value("event_id", event_id) for event_id in event_ids] or [None]
    where = f"status = %s AND event_id IN ({placeholders(params)})"
    values = [ProgressEvent.Status.ACCEPTED, *params]
    if received_since is not None:
        where += " AND received_at >= %s"
        values.append(events.value("received_at", received_since))
    if received_until is not None:
        where += " AND received_at <= %s"
        values.append(events.value("received_at", received_until))
    return Statement(
        f"SELECT event_id FROM {events.sql_name} WHERE {where}",  # noqa: S608
        values,
        lambda rows: {value if isinstance(value, uuid.UUID) else uuid.UUID(value) for (value,) in rows},
    )


def sessions_for(learner_id: int, session_ids: Iterable[uuid.UUID], since) -> Statement:
    """The named sessions, and the learner's sessions not superseded with an event since ``since``."""
    sessions = table(PlaybackSession)
    ids = [sessions.value("id", session_id) for session_id in session_ids]
    where = "(learner_id = %s AND last_event_at >= %s AND superseded_at IS NULL)"
    params = [learner_id, sessions.value("last_event_at", since)]
    if ids:
        where = f"id IN ({placeholders(ids)}) OR {where}"
        params = [*ids, *params]
    return sessions.select(where, params)


def progress_for(learner_id: int, lesson_ids: Iterable[int]) -> Statement:
    lesson_ids = list(lesson_ids) or [None]
    return table(LessonProgress).select(
        f"learner_id = %s AND lesson_id IN ({placeholders(lesson_ids)})", [learner_id, *lesson_ids]
    )


def spans_for(learner_id: int, days: Iterable, start, end) -> Statement:
    """The learner's credited spans on these days, or overlapping ``start``–``end``."""
    spans = table(CreditedSpan)
    days = [spans.value("day", day) for day in days]
    overlap = "(ended_at > %s AND started_at < %s)"
    params = [spans.value("ended_at", start), spans.value("started_at", end)]
    if days:
        overlap = f"(day IN ({placeholders(days)}) OR {overlap})"
        params = [*days, *params]
    return spans.select(f"learner_id = %s AND {overlap}", [learner_id, *params])


def commit_without_flush() -> list[Statement]:
    """On PostgreSQL: this transaction's ``COMMIT`` returns without waiting for its WAL to be
    flushed to disk (``synchronous_commit`` off for this transaction only). The transaction
    stays atomic and is visible at once; only a crash of the database server itself within
    about half a second (three times ``wal_writer_delay``) can lose it, all of it. SQLite here
    already commits without a disk flush (``synchronous=NORMAL`` in WAL mode, config/settings.py)."""
    if default_connection().vendor != "postgresql":
        return []
    return [Statement("SET LOCAL synchronous_commit TO OFF", [])]


def inserts(rows: Iterable[Model]) -> list[Statement]:
    """New rows of one model, without reading their database-assigned keys back: the engine
    needs none, and ``bulk_create`` would cost a round trip (and its query compiling) per model."""
    rows = list(rows)
    return table(type(rows[0])).inserts(rows) if rows else []


def updates(rows: Iterable[Model], names: tuple[str, ...]) -> list[Statement]:
    """One plain UPDATE per changed row: a batch changes a handful (its sessions, lessons and
    spans), and ``bulk_update``'s CASE expressions cost more than they save."""
    return [table(type(row)).update(row, names) for row in rows]


# A batch's evidence log of this many rows or more goes in with COPY on PostgreSQL.
COPY_MIN_ROWS = 5


def write(statements: Sequence[Statement], rows: Sequence[ProgressEvent]) -> None:
    """Run a batch's writes with its evidence-log rows. An offline backlog brings up to 500 rows
    at once: on PostgreSQL they go in with ``COPY`` after the other writes, its rows written by
    psycopg in C, where an ``INSERT`` prepares each of their seventeen values in Python (most of a
    backlog's writing time). Otherwise (a heartbeat's one row; SQLite) they go in with
    ``inserts``, in the same round trip as the other writes. Errors (the unique accepted event
    id) come out as Django's, as from the ORM."""
    statements = list(statements)
    copy = connection.vendor == "postgresql" and len(rows) >= COPY_MIN_ROWS
    if not copy:
        statements += inserts(rows)
    if statements:
        run(statements)
    if copy:
        _copy(rows)


def _copy(rows: Sequence[ProgressEvent]) -> None:
    events = table(ProgressEvent)
    fields = events.insert_fields
    # How each column's value is sent: Choices members (str subclasses) as their plain value; an
    # empty address as NULL, as the ORM stores it (gunicorn on a unix socket has no REMOTE_ADDR).
    kinds = [field.get_internal_type() for field in fields]
    sql = f"COPY {events.sql_name} ({events.insert_columns}) FROM STDIN"  # noqa: S608
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [
                    _copy_value(getattr(row, field.attname), kind)
                    for field, kind in zip(fields, kinds, strict=True)
                ]
            )


def _copy_value(value, kind: str):
    if value is None:
        return None
    if kind == "CharField":
        return str(value)
    if kind == "GenericIPAddressField":
        return value or None
    return value
