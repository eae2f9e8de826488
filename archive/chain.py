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

``chain_append`` is the one way in; ``chain_verify`` recomputes the whole chain against the
recorded signed heads and names the first broken link.
"""

import datetime as dt
import heapq
import json
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from hashlib import sha256
from itertools import islice

from django.core.cache import cache
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from archive import signing
from archive.models import ArchiveEntry, ArchiveHead, LogRecord

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
    """The append-only triggers (migration 0005) that are missing or disabled, by name."""
    conn = connections[using] if using else connection
    tables = [model._meta.db_table for model in (LogRecord, ArchiveEntry, ArchiveHead)]
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


# --- verification -------------------------------------------------------------------------------

# How many records after a broken one the diagnosis may read (to tell a reordering from a
# deletion): the verifier's memory stays constant whatever the size of the log.
LOOKAHEAD = 3
_SHIFTS = (1, -1, 2, -2, 3, -3)


def _log_rows(chunk_size: int) -> Iterator[tuple]:
    """Every record in ``seq`` order with its archive entry's columns (or NULLs), times and hours
    already canonical text: (seq, kind, recorded_at, refers_to, content, prev_hash, hash,
    entry id, learner, enrollment, course, course_title, occupation_code, occupation_name, level,
    required_hours, credited_seconds, completed_at). One query, read ``chunk_size`` rows at a time
    (a server-side cursor on PostgreSQL): the memory used does not grow with the log."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        # The database writes the canonical time: no datetime is built per row in Python.
        recorded_at = "to_char(r.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        completed_at = "to_char(e.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        hours = "e.required_hours::text"
    else:
        recorded_at, completed_at, hours = "r.recorded_at", "e.completed_at", "e.required_hours"
    log = connection.ops.quote_name(LogRecord._meta.db_table)
    entries = connection.ops.quote_name(ArchiveEntry._meta.db_table)
    sql = (
        f"SELECT r.seq, r.kind, {recorded_at}, r.refers_to_id, r.content, r.prev_hash, r.hash, "  # noqa: S608
        "e.id, e.learner_id, e.enrollment_id, e.course_id, e.course_title, e.occupation_code, "
        f"e.occupation_name, e.level, {hours}, e.credited_seconds, {completed_at} "
        f"FROM {log} r LEFT JOIN {entries} e ON e.record_id = r.seq ORDER BY r.seq"
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk_size):
            for row in rows:
                if postgres:
                    yield row
                else:  # SQLite: Django's converters give naive UTC datetimes
                    row = list(row)
                    row[2] = utc_text(row[2])
                    if row[7] is not None:
                        row[15], row[17] = hours_text(row[15]), utc_text(row[17])
                    yield tuple(row)


@dataclass(frozen=True)
class Problem:
    """The first broken link: ``code`` is one of edited, deleted, inserted, reordered,
    rewritten (consistent with itself, not with an earlier signed head), truncated,
    entry_edited, entry_deleted, head_invalid, or unguarded (the append-only triggers are
    missing); ``seq`` the record where it shows."""

    code: str
    seq: int | None
    message: str


@dataclass
class Verification:
    size: int = 0  # records verified (the whole log when ok)
    hash: str = GENESIS  # the chain's hash at ``size``
    heads_checked: int = 0
    entries_checked: int = 0
    problem: Problem | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def message(self) -> str:
        if self.problem is not None:
            return self.problem.message
        return _(
            "档案日志完整：共 %(size)d 条记录，末条哈希 %(hash)s；已核对 %(heads)d 个签名头、"
            "%(entries)d 个档案条目。The archive log is intact: %(size)d records, last hash "
            "%(hash)s; %(heads)d signed heads and %(entries)d archive entries checked."
        ) % {
            "size": self.size,
            "hash": self.hash,
            "heads": self.heads_checked,
            "entries": self.entries_checked,
        }


@dataclass(frozen=True)
class _Head:
    size: int
    hash: str
    signed_at: str
    label: str  # how the message names it


class _Broken(Exception):
    def __init__(self, code: str, seq: int | None, message: str):
        super().__init__(message)
        self.problem = Problem(code, seq, message)


def _fits(row, seq: int) -> bool:
    """Whether the row's stored hash is its content's hash had it been recorded at ``seq``."""
    body = record_body(seq, row[1], row[2], row[3], row[4])
    return record_hash(row[5], body) == row[6]


def _diagnose(row, expected: int, ahead) -> _Broken:
    """Name what happened at the first record that does not verify (``row``, where record
    ``expected`` should be), reading at most LOOKAHEAD records after it."""
    seq = row[0]
    if seq > expected:
        return _Broken(
            "deleted",
            expected,
            _(
                "第 %(first)d 至 %(last)d 条记录缺失：已被删除（第 %(before)d 条之后直接是第 %(after)d 条）。"
                "Records %(first)d to %(last)d are missing: they were deleted (record %(before)d is "
                "followed by %(after)d)."
            )
            % {"first": expected, "last": seq - 1, "before": expected - 1, "after": seq},
        )
    if seq < expected:
        return _Broken(
            "inserted",
            seq,
            _("序号 %(seq)d 出现了两次：有一条记录是插入的。Seq %(seq)d occurs twice: a record was inserted.")
            % {"seq": seq},
        )
    if _fits(row, seq):
        # Intact itself, but chained to another hash than the record before it now has.
        return _Broken(
            "edited",
            seq - 1,
            _(
                "第 %(prev)d 条记录被修改并重算了哈希：第 %(seq)d 条记录链接的是它原来的哈希。"
                "Record %(prev)d was changed and its hash recomputed: record %(seq)d is chained to "
                "its original hash."
            )
            % {"prev": seq - 1, "seq": seq},
        )
    original = next((seq + shift for shift in _SHIFTS if seq + shift >= 1 and _fits(row, seq + shift)), None)
    ahead = list(ahead)
    if original is None:
        if ahead and _fits(ahead[0], seq):
            return _inserted(seq, seq + 1)
        return _Broken(
            "edited",
            seq,
            _(
                "第 %(seq)d 条记录被修改过：其内容与其哈希不符。"
                "Record %(seq)d was edited: its content no longer matches its hash."
            )
            % {"seq": seq},
        )
    if original < seq:
        return _inserted(original, seq)
    moved = next((later[0] for later in ahead if _fits(later, seq)), None)
    if moved is not None:
        return _Broken(
            "reordered",
            seq,
            _(
                "记录顺序被调换：现第 %(seq)d 条原为第 %(original)d 条，原第 %(seq)d 条现在是第 %(moved)d 条。"
                "Records were reordered: the record now at %(seq)d was recorded as %(original)d, and "
                "the one recorded as %(seq)d is now at %(moved)d."
            )
            % {"seq": seq, "original": original, "moved": moved},
        )
    return _Broken(
        "deleted",
        seq,
        _(
            "原第 %(seq)d 条记录已被删除，其后的记录被重新编号：现第 %(seq)d 条原为第 %(original)d 条。"
            "The record originally numbered %(seq)d was deleted and the records after it renumbered: "
            "the record now at %(seq)d was recorded as %(original)d."
        )
        % {"seq": seq, "original": original},
    )


def _inserted(first: int, now_at: int) -> _Broken:
    return _Broken(
        "inserted",
        first,
        _(
            "第 %(first)d 条记录是插入的：其后的记录被重新编号（现第 %(now)d 条原为第 %(first)d 条）。"
            "Record %(first)d was inserted: the records after it were renumbered (the record now "
            "at %(now)d was recorded as %(first)d)."
        )
        % {"first": first, "now": now_at},
    )


def _check_entry(row) -> None:
    """A completion record and its archive entry say the same; other records have no entry."""
    seq, kind, content, entry_id = row[0], row[1], row[4], row[7]
    if kind != Kind.COMPLETION:
        if entry_id is not None:
            raise _entry_edited(entry_id, seq, "record")
        return
    if entry_id is None:
        raise _Broken(
            "entry_deleted",
            seq,
            _(
                "第 %(seq)d 条结业记录的档案条目已不存在：它被删除了。"
                "The archive entry of completion record %(seq)d no longer exists: it was deleted."
            )
            % {"seq": seq},
        )
    columns = completion_content(
        learner_id=row[8],
        enrollment_id=row[9],
        course_id=row[10],
        course_title=row[11],
        occupation_code=row[12],
        occupation_name=row[13],
        level=row[14],
        required_hours=row[15],
        credited_seconds=row[16],
        completed_at=row[17],
    )
    try:
        logged = json.loads(content)
    except ValueError:
        logged = {}
    if logged != columns:
        field = next((key for key in sorted(columns) if logged.get(key) != columns[key]), "content")
        raise _entry_edited(entry_id, seq, field)


def _entry_edited(entry_id: int, seq: int, field: str) -> _Broken:
    return _Broken(
        "entry_edited",
        seq,
        _(
            "档案条目 #%(entry)d（第 %(seq)d 条记录）被修改过：其 %(field)s 与档案日志不符。"
            "Archive entry #%(entry)d (record %(seq)d) was edited: its %(field)s differs from the log."
        )
        % {"entry": entry_id, "seq": seq, "field": field},
    )


def _head_invalid(label: str, why: str) -> _Broken:
    return _Broken(
        "head_invalid",
        None,
        _(
            "签名头（%(head)s）无效：%(why)s 签名头的记录被改动过，或其密钥已从 ARCHIVE_SIGNING_KEYS 中移除"
            "（退役的密钥须保留在列表中）。The signed head (%(head)s) is invalid: %(why)s Either the "
            "record of heads was altered or its key was removed from ARCHIVE_SIGNING_KEYS (retired "
            "keys must stay listed)."
        )
        % {"head": label, "why": why},
    )


def _head_from_jws(token: str, label: str, columns: tuple | None = None) -> _Head:
    """A head whose JWS verifies with the configured keys, its payload exactly size, hash and
    signed_at (and, for a recorded head, equal to its columns); _Broken otherwise."""
    try:
        payload = signing.verify(token)
    except signing.SignatureInvalid:
        raise _head_invalid(label, _("签名无法验证。The signature does not verify.")) from None
    if (
        not isinstance(payload, dict)
        or set(payload) != {"size", "hash", "signed_at"}
        or not isinstance(payload["size"], int)
        or not isinstance(payload["hash"], str)
    ):
        raise _head_invalid(label, _("签名内容不是一个档案头。Its payload is not an archive head."))
    if columns is not None and columns != (payload["size"], payload["hash"], payload["signed_at"]):
        raise _head_invalid(label, _("其字段与签名内容不符。Its fields differ from what was signed."))
    return _Head(payload["size"], payload["hash"], payload["signed_at"], label)


def _heads(extra: Sequence[str], chunk_size: int) -> Iterator[_Head]:
    """The recorded heads and the ``extra`` ones (JWS kept elsewhere), by size."""
    recorded = (
        _head_from_jws(
            jws, _("%(at)s 签名，#%(pk)d") % {"at": head_text(at), "pk": pk}, (size, hashed, head_text(at))
        )
        for pk, size, hashed, at, jws in ArchiveHead.objects.order_by("size", "pk")
        .values_list("pk", "size", "hash", "signed_at", "jws")
        .iterator(chunk_size=chunk_size)
    )
    given = sorted(
        (
            _head_from_jws(token.strip(), _("外部保存的签名头 %(n)d") % {"n": n})
            for n, token in enumerate(extra, 1)
        ),
        key=lambda head: head.size,
    )
    return heapq.merge(recorded, given, key=lambda head: head.size)


def _rewritten(head: _Head, actual: str, last_good: int) -> _Broken:
    values = {
        "at": head.signed_at,
        "size": head.size,
        "signed": head.hash,
        "actual": actual,
        "good": last_good,
    }
    if last_good:
        message = _(
            "档案日志自身一致，但与 %(at)s 签名的头不符：该头记下前 %(size)d 条记录的哈希为 %(signed)s，"
            "现在的日志给出 %(actual)s。第 %(good)d 条之后、第 %(size)d 条及之前的记录在签名之后被改写"
            "（前 %(good)d 条仍与更早的签名头一致）。The log is consistent with itself but not with the "
            "head signed at %(at)s: it signed %(signed)s for the first %(size)d records, the log now "
            "gives %(actual)s. Records after %(good)d and up to %(size)d were rewritten after it was "
            "signed (the first %(good)d still match an earlier head)."
        )
    else:
        message = _(
            "档案日志自身一致，但与 %(at)s 签名的头不符：该头记下前 %(size)d 条记录的哈希为 %(signed)s，"
            "现在的日志给出 %(actual)s。前 %(size)d 条记录在签名之后被改写。The log is consistent with "
            "itself but not with the head signed at %(at)s: it signed %(signed)s for the first "
            "%(size)d records, the log now gives %(actual)s. Records up to %(size)d were rewritten "
            "after it was signed."
        )
    return _Broken("rewritten", head.size, message % values)


def chain_verify(*, heads: Sequence[str] = (), chunk_size: int = 2000) -> Verification:
    """Recompute the whole chain in ``seq`` order, streaming (a server-side cursor on
    PostgreSQL, constant memory), check every completion's archive entry against its record,
    and check every recorded signed head (its JWS verifies; the chain's hash at its size is
    its hash) and the ``heads`` given (compact JWS kept elsewhere). Stops at the first broken
    link and names it (``Verification.problem``)."""
    started = time.monotonic()
    report = Verification()
    last_good = 0
    try:
        missing = guard_missing()
        if missing:
            raise _Broken(
                "unguarded",
                None,
                _(
                    "数据库没有拒绝修改档案的触发器：缺少 %(names)s。请重新创建它们（见 archive 迁移 0005 和 "
                    "docs/archive.md）。The database lacks the triggers that refuse changes to the archive: "
                    "%(names)s are missing. Create them again (archive migration 0005, docs/archive.md)."
                )
                % {"names": ", ".join(missing)},
            )
        pending = iter(_heads(heads, chunk_size))
        head = next(pending, None)  # the heads' query runs before the log's: they cover no more
        while head is not None and head.size == 0:
            if head.hash != GENESIS:
                raise _rewritten(head, GENESIS, 0)
            report.heads_checked += 1
            head = next(pending, None)
        rows = _log_rows(chunk_size)
        expected, previous = 1, GENESIS
        for row in rows:
            seq = row[0]
            if seq != expected or row[5] != previous or not _fits(row, seq):
                raise _diagnose(row, expected, islice(rows, LOOKAHEAD))
            _check_entry(row)
            if row[7] is not None:
                report.entries_checked += 1
            previous = row[6]
            report.size, report.hash = seq, previous
            expected += 1
            while head is not None and head.size == seq:
                if head.hash != previous:
                    raise _rewritten(head, previous, last_good)
                last_good = seq
                report.heads_checked += 1
                head = next(pending, None)
        if head is not None:
            raise _Broken(
                "truncated",
                report.size + 1,
                _(
                    "档案日志只有 %(size)d 条记录，但 %(at)s 签名的头记下了 %(head)d 条："
                    "第 %(first)d 条及之后的记录被删除了。The log has %(size)d records but the head "
                    "signed at %(at)s covers %(head)d: the records from %(first)d on were deleted."
                )
                % {"size": report.size, "at": head.signed_at, "head": head.size, "first": report.size + 1},
            )
    except _Broken as broken:
        report.problem = broken.problem
    report.seconds = time.monotonic() - started
    return report
