"""The archive log's verifier: ``chain_verify`` recomputes the whole chain (archive.chain) in
``seq`` order against the recorded signed heads, checks every completion's archive entry against
its record, and names the first broken link (docs/archive.md).
"""

import heapq
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from hashlib import sha256
from itertools import islice

from django.db import connection
from django.utils.translation import gettext as _

from archive import signing
from archive.chain import (
    GENESIS,
    Kind,
    completion_content,
    guard_missing,
    head_text,
    hours_text,
    record_body,
    record_hash,
    utc_text,
)
from archive.models import (
    ArchiveEntry,
    ArchiveHead,
    Certificate,
    CertificateRevocation,
    ExternalCertificate,
    LogRecord,
)

# How many records after a broken one the diagnosis may read (to tell a reordering from a
# deletion): the verifier's memory stays constant whatever the size of the log.
LOOKAHEAD = 3
_SHIFTS = (1, -1, 2, -2, 3, -3)


def _log_rows(chunk_size: int) -> Iterator[tuple]:
    """Every record in ``seq`` order with its archive entry's columns (or NULLs), times and hours
    already canonical text: (seq, kind, recorded_at, refers_to, content, prev_hash, hash,
    entry id, learner, enrollment, course, course_title, occupation_code, occupation_name, level,
    required_hours, credited_seconds, completed_at, certificate id, number, entry, credential,
    revocation id, reason, external certificate id, number, type).
    One query, read ``chunk_size`` rows at a time
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
    certificates = connection.ops.quote_name(Certificate._meta.db_table)
    revocations = connection.ops.quote_name(CertificateRevocation._meta.db_table)
    externals = connection.ops.quote_name(ExternalCertificate._meta.db_table)
    sql = (
        f"SELECT r.seq, r.kind, {recorded_at}, r.refers_to_id, r.content, r.prev_hash, r.hash, "  # noqa: S608
        "e.id, e.learner_id, e.enrollment_id, e.course_id, e.course_title, e.occupation_code, "
        f"e.occupation_name, e.level, {hours}, e.credited_seconds, {completed_at}, "
        "c.id, c.number, c.entry_id, c.credential, v.id, v.reason, x.id, x.number, x.type "
        f"FROM {log} r LEFT JOIN {entries} e ON e.record_id = r.seq "
        f"LEFT JOIN {certificates} c ON c.record_id = r.seq "
        f"LEFT JOIN {revocations} v ON v.record_id = r.seq "
        f"LEFT JOIN {externals} x ON x.record_id = r.seq ORDER BY r.seq"
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
            "%(entries)d 个档案条目。"
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
            _("第 %(first)d 至 %(last)d 条记录缺失：已被删除（第 %(before)d 条之后直接是第 %(after)d 条）。")
            % {"first": expected, "last": seq - 1, "before": expected - 1, "after": seq},
        )
    if seq < expected:
        return _Broken(
            "inserted",
            seq,
            _("序号 %(seq)d 出现了两次：有一条记录是插入的。") % {"seq": seq},
        )
    if _fits(row, seq):
        # Intact itself, but chained to another hash than the record before it now has.
        return _Broken(
            "edited",
            seq - 1,
            _("第 %(prev)d 条记录被修改并重算了哈希：第 %(seq)d 条记录链接的是它原来的哈希。")
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
            _("第 %(seq)d 条记录被修改过：其内容与其哈希不符。") % {"seq": seq},
        )
    if original < seq:
        return _inserted(original, seq)
    moved = next((later[0] for later in ahead if _fits(later, seq)), None)
    if moved is not None:
        return _Broken(
            "reordered",
            seq,
            _("记录顺序被调换：现第 %(seq)d 条原为第 %(original)d 条，原第 %(seq)d 条现在是第 %(moved)d 条。")
            % {"seq": seq, "original": original, "moved": moved},
        )
    return _Broken(
        "deleted",
        seq,
        _("原第 %(seq)d 条记录已被删除，其后的记录被重新编号：现第 %(seq)d 条原为第 %(original)d 条。")
        % {"seq": seq, "original": original},
    )


def _inserted(first: int, now_at: int) -> _Broken:
    return _Broken(
        "inserted",
        first,
        _("第 %(first)d 条记录是插入的：其后的记录被重新编号（现第 %(now)d 条原为第 %(first)d 条）。")
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
            _("第 %(seq)d 条结业记录的档案条目已不存在：它被删除了。") % {"seq": seq},
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


def _check_certificate(row) -> None:
    """A ``certificate_issued`` record and its certificate say the same (number, entry, the
    credential's SHA-256); other records have no certificate."""
    seq, kind, content, certificate_id = row[0], row[1], row[4], row[18]
    if kind != Kind.CERTIFICATE_ISSUED:
        if certificate_id is not None:
            raise _certificate_edited(row[19], seq, "record")
        return
    if certificate_id is None:
        raise _Broken(
            "entry_deleted",
            seq,
            _("第 %(seq)d 条记录颁发的证书已不存在：它被删除了。") % {"seq": seq},
        )
    try:
        logged = json.loads(content)
    except ValueError:
        logged = {}
    columns = {
        "certificate": row[19],
        "entry": row[20],
        "credential_sha256": sha256((row[21] or "").encode("ascii", "replace")).hexdigest(),
    }
    for field, value in columns.items():
        if logged.get(field) != value:
            raise _certificate_edited(row[19], seq, field)


# The rows that other kinds of record attest: (kind, index of the row's id in a log row, the
# content keys compared with the row's columns at these indexes).
ATTESTED_ROWS = (
    (Kind.CERTIFICATE_REVOKED, 22, {"reason": 23}),
    (Kind.EXTERNAL_CERTIFICATE, 24, {"number": 25, "type": 26}),
)


def _check_attested(row) -> None:
    """A revocation and an external certificate match the record that attests them (a row
    deleted behind the triggers would otherwise make a revoked certificate valid again)."""
    seq, kind, content = row[0], row[1], row[4]
    for attested_kind, id_index, fields in ATTESTED_ROWS:
        present = row[id_index] is not None
        if kind != attested_kind:
            if present:
                raise _certificate_edited(str(row[id_index]), seq, "record")
            continue
        if not present:
            raise _Broken(
                "entry_deleted", seq, _("第 %(seq)d 条记录所证明的数据已不存在：它被删除了。") % {"seq": seq}
            )
        try:
            logged = json.loads(content)
        except ValueError:
            logged = {}
        for key, index in fields.items():
            if logged.get(key) != row[index]:
                raise _certificate_edited(str(row[id_index]), seq, key)


def _certificate_edited(number: str, seq: int, field: str) -> _Broken:
    return _Broken(
        "entry_edited",
        seq,
        _("证书 %(number)s（第 %(seq)d 条记录）被修改过：其 %(field)s 与档案日志不符。")
        % {"number": number, "seq": seq, "field": field},
    )


def _entry_edited(entry_id: int, seq: int, field: str) -> _Broken:
    return _Broken(
        "entry_edited",
        seq,
        _("档案条目 #%(entry)d（第 %(seq)d 条记录）被修改过：其 %(field)s 与档案日志不符。")
        % {"entry": entry_id, "seq": seq, "field": field},
    )


def _head_invalid(label: str, why: str) -> _Broken:
    return _Broken(
        "head_invalid",
        None,
        _(
            "签名头（%(head)s）无效：%(why)s 签名头的记录被改动过，或其密钥已从 ARCHIVE_SIGNING_KEYS 中移除"
            "（退役的密钥须保留在列表中）。"
        )
        % {"head": label, "why": why},
    )


def _head_from_jws(token: str, label: str, columns: tuple | None = None) -> _Head:
    """A head whose JWS verifies with the configured keys, its payload exactly size, hash and
    signed_at (and, for a recorded head, equal to its columns); _Broken otherwise."""
    try:
        payload = signing.verify(token)
    except signing.SignatureInvalid:
        raise _head_invalid(label, _("签名无法验证。")) from None
    if (
        not isinstance(payload, dict)
        or set(payload) != {"size", "hash", "signed_at"}
        or not isinstance(payload["size"], int)
        or not isinstance(payload["hash"], str)
    ):
        raise _head_invalid(label, _("签名内容不是一个档案头。"))
    if columns is not None and columns != (payload["size"], payload["hash"], payload["signed_at"]):
        raise _head_invalid(label, _("其字段与签名内容不符。"))
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
            "（前 %(good)d 条仍与更早的签名头一致）。"
        )
    else:
        message = _(
            "档案日志自身一致，但与 %(at)s 签名的头不符：该头记下前 %(size)d 条记录的哈希为 %(signed)s，"
            "现在的日志给出 %(actual)s。前 %(size)d 条记录在签名之后被改写。"
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
                    "docs/archive.md）。"
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
            _check_certificate(row)
            _check_attested(row)
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
                    "第 %(first)d 条及之后的记录被删除了。"
                )
                % {"size": report.size, "at": head.signed_at, "head": head.size, "first": report.size + 1},
            )
    except _Broken as broken:
        report.problem = broken.problem
    report.seconds = time.monotonic() - started
    return report
