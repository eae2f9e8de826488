"""The archive log: canonical content, the hash chain, serialised appends, signed heads.

Every record of the log (``archive.models.LogRecord``) has a ``seq`` (1, 2, 3, … without gaps),
a ``kind``, its canonical ``content`` (JSON text), ``recorded_at``, ``refers_to`` (the earlier
record it is about, or none), ``prev_hash`` and ``hash``, where (docs/archive.md)::

    body = canonical JSON of {"content": <content>, "kind": <kind>, "recorded_at": <UTC time>,
                              "refers_to": <seq or null>, "seq": <seq>}
    hash = lowercase hex SHA-256 of ( prev_hash as 64 ASCII hex characters ‖ body in UTF-8 )

and ``prev_hash`` is the previous record's hash, 64 zeros for the first. Canonical JSON is
``archive.signing.canonical_json``: sorted keys, no spaces, UTF-8. Content holds no floats:
seconds are strings with 3 decimals, hours with 2, times UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

``chain_append`` is the one way in; ``archive.verify.chain_verify`` recomputes the whole chain
against the recorded signed heads and names the first broken link.
"""

import datetime as dt
import re
from contextlib import contextmanager, suppress
from decimal import Decimal
from hashlib import sha256

from django.core.cache import cache
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from archive import signing
from archive.models import (
    ArchiveEntry,
    ArchiveHead,
    Certificate,
    CertificateRevocation,
    ExternalCertificate,
    LogRecord,
)

GENESIS = "0" * 64


class Kind:
    """The kinds of record. Any lowercase word (``[a-z][a-z_]*``) is accepted, so that a new
    kind needs no migration; these are the ones the platform writes or has reserved."""

    COMPLETION = "completion"  # a course completed: the content of an ArchiveEntry
    CORRECTION = "correction"  # names the record it corrects (refers_to) and the new values
    # reserved for the certificates (issue 19): a platform certificate issued or revoked, and a
    # certificate issued elsewhere and recorded by institution staff
    CERTIFICATE_ISSUED = "certificate_issued"
    CERTIFICATE_REVOKED = "certificate_revoked"
    EXTERNAL_CERTIFICATE = "external_certificate"


KIND_FORM = re.compile(r"[a-z][a-z_]{0,39}")

# The fields of a completion's content that an ArchiveEntry holds (and a correction may change).
COMPLETION_FIELDS = (
    "completed_at",
    "course_title",
    "credited_seconds",
    "level",
    "occupation_code",
    "occupation_name",
    "required_hours",
)

# pg_advisory_xact_lock key of the log's appends: "ZBARCHLG" in ASCII.
APPEND_LOCK_KEY = 0x5A42415243484C47
# Where the current signed head is cached (archive.selectors.archive_head); forgotten on append.
HEAD_CACHE_KEY = "archive:head:v1"
# The prefix of the append-only triggers (migration 0005), which guard_lifted finds by name.
GUARD_PREFIX = "archive_append_only_"


class ChainError(Exception):
    """A record that cannot be appended as asked (an unknown form of kind, a bad reference)."""


# --- canonical values ---------------------------------------------------------------------------


def moment(value) -> dt.datetime:
    """An aware datetime from a datetime or an ISO 8601 string (naive values are UTC)."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"not an ISO 8601 time: {value!r}")
        value = parsed
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
CANONICAL_HOURS = re.compile(r"\d+\.\d\d")


def utc_text(value) -> str:
    """A time as canonical content: UTC, microseconds, ``Z``: ``2026-05-01T02:03:04.000000Z``
    (a value already in that form is returned as it is)."""
    if isinstance(value, str) and CANONICAL_TIME.fullmatch(value):
        return value
    return moment(value).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seconds_text(value) -> str:
    """Seconds as canonical content: a string with exactly 3 decimals (``"240.000"``)."""
    return f"{float(value):.3f}"


def hours_text(value) -> str:
    """Hours as canonical content: a string with exactly 2 decimals (``"40.00"``; a value already
    in that form is returned as it is)."""
    if isinstance(value, str) and CANONICAL_HOURS.fullmatch(value):
        return value
    return f"{Decimal(str(value)):.2f}"


def content_text(content: dict) -> str:
    """The canonical JSON text of a content object (what the ``content`` column holds)."""
    return signing.canonical_json(content).decode("utf-8")


def completion_content(
    *,
    learner_id: int,
    enrollment_id: int,
    course_id: int,
    course_title: str,
    occupation_code: str,
    occupation_name: str,
    level: str,
    required_hours,
    credited_seconds,
    completed_at,
) -> dict:
    """The content of a completion record: what the archive entry holds, personal data by the
    learner's internal id only (never a name, ID number or phone)."""
    return {
        "completed_at": utc_text(completed_at),
        "course": int(course_id),
        "course_title": course_title,
        "credited_seconds": seconds_text(credited_seconds),
        "enrollment": int(enrollment_id),
        "learner": int(learner_id),
        "level": level,
        "occupation_code": occupation_code,
        "occupation_name": occupation_name,
        "required_hours": hours_text(required_hours),
    }


def field_text(field: str, value) -> str:
    """A completion field's value as canonical content (as a correction states it)."""
    if field == "completed_at":
        return utc_text(value)
    if field == "credited_seconds":
        return seconds_text(value)
    if field == "required_hours":
        return hours_text(value)
    return str(value)


def record_body(seq: int, kind: str, recorded_at: str, refers_to: int | None, content: str) -> bytes:
    """The bytes hashed for a record: the canonical JSON of its five fields, built around the
    content's canonical text as stored (equal to ``canonical_json`` of the parsed whole)."""
    reference = "null" if refers_to is None else str(int(refers_to))
    return (
        f'{{"content":{content},"kind":"{kind}","recorded_at":"{recorded_at}",'
        f'"refers_to":{reference},"seq":{int(seq)}}}'
    ).encode()


def record_hash(prev_hash: str, body: bytes) -> str:
    return sha256(prev_hash.encode("ascii") + body).hexdigest()


# --- appending ----------------------------------------------------------------------------------


def _lock() -> None:
    """Serialise appends until the transaction ends. PostgreSQL: a transaction-level advisory
    lock (released at COMMIT or ROLLBACK). SQLite: nothing to take — the project's SQLite
    transactions begin IMMEDIATE (config.settings), so the transaction already holds the one
    write lock. Either way ``seq`` is the primary key: a fork could not be stored."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_KEY])


def _tip() -> tuple[int, str]:
    """The last record's seq and hash: (0, GENESIS) for an empty log."""
    return LogRecord.objects.order_by("-seq").values_list("seq", "hash").first() or (0, GENESIS)


def _forget_head() -> None:
    # The cache down: the cached head expires by itself within seconds.
    with suppress(Exception):
        cache.delete(HEAD_CACHE_KEY)


def chain_append(kind: str, content: dict, *, refers_to: LogRecord | None = None) -> LogRecord:
    """Append one record to the log and return it. Runs in the caller's transaction (or its
    own), which holds the log's append lock from here to its end: concurrent appends wait, each
    sees the one before, and the chain never forks. Take it last in a transaction that locks
    other rows too (a completion locks the learner first), so that it never waits while holding
    the append lock of the log."""
    if not KIND_FORM.fullmatch(kind or ""):
        raise ChainError(f"a record's kind is a lowercase word, not {kind!r}")
    text = content_text(content)
    with transaction.atomic():
        _lock()
        last_seq, last_hash = _tip()
        if refers_to is not None and not 0 < refers_to.seq <= last_seq:
            raise ChainError(f"a record can refer only to an earlier record, not to {refers_to.seq}")
        seq = last_seq + 1
        recorded_at = timezone.now()
        reference = refers_to.seq if refers_to is not None else None
        body = record_body(seq, kind, utc_text(recorded_at), reference, text)
        record = LogRecord.objects.create(
            seq=seq,
            kind=kind,
            refers_to_id=reference,
            content=text,
            recorded_at=recorded_at,
            prev_hash=last_hash,
            hash=record_hash(last_hash, body),
        )
        transaction.on_commit(_forget_head)
    return record


def record_canonical(record: LogRecord) -> str:
    """The exact text whose UTF-8 bytes, after ``prev_hash``, hash to ``record.hash``."""
    body = record_body(
        record.seq, record.kind, utc_text(record.recorded_at), record.refers_to_id, record.content
    )
    return body.decode("utf-8")


# --- signed heads -------------------------------------------------------------------------------


def head_text(value) -> str:
    """``signed_at`` of a head: UTC, whole seconds, ``Z`` (``2026-12-06T02:03:04Z``)."""
    return moment(value).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def head_sign() -> dict:
    """The log's current head, signed: ``size``, ``hash`` (the last record's, 64 zeros for an
    empty log), ``signed_at``, ``jws`` (compact, EdDSA, over exactly the first three) and
    ``kid``."""
    signed_at = timezone.now().replace(microsecond=0)
    size, last_hash = _tip()
    payload = {"size": size, "hash": last_hash, "signed_at": head_text(signed_at)}
    return {**payload, "jws": signing.sign(payload), "kid": signing.signing_keys()[0].kid}


# --- the append-only guard ----------------------------------------------------------------------


@contextmanager
def guard_lifted(using=None):
    """Lift the append-only triggers of the archive's tables for the rest of the current
    transaction, and put them back on leaving. For ``manage.py flush`` (a whole-database wipe,
    which the test suite runs between transactional tests) and for tests that tamper with the
    log on purpose. It needs what dropping the triggers needs (the tables' owner), so it opens
    no door that was not already open; a rollback puts the triggers back as well."""
    conn = connections[using] if using else connection
    if not conn.in_atomic_block:
        raise RuntimeError("guard_lifted() must run inside a transaction (transaction.atomic)")
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            # ALTER TABLE refuses a table with pending trigger events (the deferred foreign-key
            # checks of rows written earlier in the transaction): run those checks now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
                "WHERE NOT tgisinternal AND tgname LIKE %s",
                [GUARD_PREFIX + "%"],
            )
            triggers = cursor.fetchall()
            for name, table in triggers:
                cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [GUARD_PREFIX + "%"],
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        yield
    except BaseException:
        conn.set_rollback(True)  # the transaction ends in a rollback, which puts the triggers back
        raise
    with conn.cursor() as cursor:
        for name, detail in triggers:
            if conn.vendor == "postgresql":
                cursor.execute(f'ALTER TABLE {detail} ENABLE TRIGGER "{name}"')
            else:
                cursor.execute(detail)
        if conn.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys: back as they were


def guard_missing(using=None) -> list[str]:
    """The append-only triggers (migrations 0005 and 0007) that are missing or disabled, by name."""
    conn = connections[using] if using else connection
    guarded = (LogRecord, ArchiveEntry, ArchiveHead, Certificate, CertificateRevocation, ExternalCertificate)
    tables = [model._meta.db_table for model in guarded]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            expected = [f"{GUARD_PREFIX}{table}{suffix}" for table in tables for suffix in ("", "_truncate")]
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgname LIKE %s",
                [GUARD_PREFIX + "%"],
            )
        else:
            expected = [
                f"{GUARD_PREFIX}{table}_{operation}" for table in tables for operation in ("update", "delete")
            ]
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [GUARD_PREFIX + "%"]
            )
        present = {name for (name,) in cursor.fetchall()}
    return [name for name in expected if name not in present]
