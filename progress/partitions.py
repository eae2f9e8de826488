"""The evidence log at scale: monthly partitions of ``ProgressEvent`` on PostgreSQL, and the
retention that exports old months to the default storage and removes them from the database.

On PostgreSQL the table ``progress_progressevent`` is partitioned by range of ``received_at``
(migration 0006): one partition per calendar month in China's time (``TIME_ZONE``), named
``progress_progressevent_pYYYYMM``, and a DEFAULT partition that catches any row no month
partition takes, so no insert ever fails. ``ensure_partitions`` (``manage.py
progress_partitions``, run daily) creates the coming months ahead, first moving any rows that
landed in the DEFAULT partition into their month's new partition. ``retire_month`` exports one
month (gzip CSV + manifest JSON, read back and checked), then detaches and drops its partition.
On SQLite there is one plain table: a retired month's rows are exported the same way, then
deleted.

A unique index cannot span partitions unless it includes the partition key, so each partition
carries its own unique index on ``event_id`` for accepted rows (``accepted_index_sql``); the
crediting engine's duplicate check, under the learner's row lock, covers what crosses months
(docs/progress.md, "The log at scale").
"""

import datetime as dt
import gzip
import hashlib
import json
import re
import tempfile
import zlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connection, transaction
from django.utils import timezone

from progress.models import ProgressEvent

TABLE = ProgressEvent._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
MONTH_NAME = re.compile(rf"^{TABLE}_p(\d{{4}})(\d{{2}})$")
MANIFEST_FORMAT = "zibo-progress-events/1"
CHUNK = 64 * 1024


class ArchiveError(Exception):
    """An export could not be stored and verified: nothing was removed from the database."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: dt.datetime) -> "Month":
        local = timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE))
        return cls(local.year, local.month)

    def plus(self, months: int) -> "Month":
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> dt.datetime:
        """Midnight of the month's first day, China's time."""
        return dt.datetime(self.year, self.month, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def end(self) -> dt.datetime:
        return self.plus(1).start

    @property
    def partition(self) -> str:
        return f"{TABLE}_p{self.year:04d}{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _literal(moment: dt.datetime) -> str:
    """A timestamptz literal, built from our own month bounds only (never from input)."""
    return f"'{moment.isoformat()}'::timestamptz"


def accepted_index_sql(partition: str) -> str:
    """What ``accepted_event_once`` guaranteed, within one partition: an event id is accepted at
    most once per month of receipt."""
    return (
        f"CREATE UNIQUE INDEX IF NOT EXISTS {_q(partition + '_accepted_once')} "
        f"ON {_q(partition)} (event_id) WHERE status = 'accepted'"
    )


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def attached_months() -> list[Month]:
    """The month partitions attached to the log, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    found = (MONTH_NAME.match(name) for name in names)
    return sorted(Month(int(match[1]), int(match[2])) for match in found if match)


def default_months() -> list[Month]:
    """The months of the rows that landed in the DEFAULT partition."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', received_at AT TIME ZONE %s) FROM {_q(DEFAULT_PARTITION)}",  # noqa: S608
            [settings.TIME_ZONE],
        )
        return sorted(Month(start.year, start.month) for (start,) in cursor.fetchall())


def create_default_partition() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {_q(DEFAULT_PARTITION)} PARTITION OF {_q(TABLE)} DEFAULT")
        cursor.execute(accepted_index_sql(DEFAULT_PARTITION))


def create_month(month: Month) -> int:
    """Create and attach ``month``'s partition, moving its rows out of the DEFAULT partition
    first (attaching fails while the DEFAULT partition holds rows of the range). Returns the
    number of rows moved. The partition is built as a plain table and then attached, so the
    parent's indexes are created on it by the ``ATTACH``."""
    name, start, end = _q(month.partition), _literal(month.start), _literal(month.end)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {_q(DEFAULT_PARTITION)} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"CREATE TABLE {name} (LIKE {_q(TABLE)} INCLUDING DEFAULTS INCLUDING STORAGE)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {_q(DEFAULT_PARTITION)} "  # noqa: S608
            f"WHERE received_at >= {start} AND received_at < {end} RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved"
        )
        moved = cursor.rowcount
        cursor.execute(
            f"ALTER TABLE {_q(TABLE)} ATTACH PARTITION {name} FOR VALUES FROM ({start}) TO ({end})"
        )
        cursor.execute(accepted_index_sql(month.partition))
    return moved


def ensure_partitions(now: dt.datetime | None = None, ahead: int | None = None) -> list[tuple[Month, int]]:
    """Create the partitions of the months that have rows in the DEFAULT partition and of this
    month and the next ``ahead`` (PROGRESS_PARTITIONS_AHEAD) months, where missing. Returns the
    months created, each with the rows it took over from the DEFAULT partition. Safe to re-run."""
    now = now or timezone.now()
    ahead = settings.PROGRESS_PARTITIONS_AHEAD if ahead is None else ahead
    current = Month.of(now)
    wanted = set(default_months()) | {current.plus(n) for n in range(ahead + 1)}
    missing = sorted(wanted - set(attached_months()))
    return [(month, create_month(month)) for month in missing]


def retirement_cutoff(now: dt.datetime | None = None, retention: int | None = None) -> Month:
    """The oldest month kept: months before it are exported and removed."""
    retention = settings.PROGRESS_EVENT_RETENTION_MONTHS if retention is None else retention
    return Month.of(now or timezone.now()).plus(-retention)


def months_to_retire(now: dt.datetime | None = None, retention: int | None = None) -> list[Month]:
    cutoff = retirement_cutoff(now, retention)
    if is_partitioned():
        return [month for month in attached_months() if month < cutoff]
    first = ProgressEvent.objects.filter(received_at__lt=cutoff.start).order_by("received_at").first()
    if first is None:
        return []
    months, month = [], Month.of(first.received_at)
    while month < cutoff:
        months.append(month)
        month = month.plus(1)
    return months


# --- export -----------------------------------------------------------------------------------

COLUMNS = [field.column for field in ProgressEvent._meta.concrete_fields]


def _csv_field(value) -> str:
    """PostgreSQL's CSV: NULL is an unquoted empty field, every other value is quoted, so an
    empty string stays an empty string when the file is loaded back with ``COPY``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    elif isinstance(value, float):
        value = repr(value)
    return '"' + str(value).replace('"', '""') + '"'


@dataclass
class Export:
    month: Month
    file: str
    manifest_file: str
    manifest: dict


def _names(month: Month) -> tuple[str, str]:
    location = settings.PROGRESS_ARCHIVE_LOCATION.strip("/")
    base = f"{location}/{TABLE}/{TABLE}-{month.label}"
    return f"{base}.csv.gz", f"{base}.manifest.json"


def _sha256(storage: Storage, name: str) -> tuple[str, str]:
    """The sha256 of a stored gzip file, and of its content once decompressed (read in chunks: a
    city's month is gigabytes)."""
    packed, plain = hashlib.sha256(), hashlib.sha256()
    unpack = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    with storage.open(name, "rb") as stored:
        while chunk := stored.read(CHUNK):
            packed.update(chunk)
            plain.update(unpack.decompress(chunk))
    plain.update(unpack.flush())
    if not unpack.eof:
        raise ArchiveError(f"{name}: the stored gzip file is truncated")
    return packed.hexdigest(), plain.hexdigest()


def _replace(storage: Storage, name: str, content) -> None:
    """Store ``content`` under exactly ``name`` (a re-run overwrites its earlier attempt)."""
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, content)
    if saved != name:
        raise ArchiveError(f"the storage saved {name} as {saved}")


def export_month(month: Month, storage: Storage | None = None) -> Export:
    """Write ``month``'s rows (by ``received_at``, ordered by id) to the storage as gzip CSV with
    a header line, then a manifest; read both back and check them. Raises ``ArchiveError`` (or
    the storage's own error) when the stored file is not what was written."""
    storage = storage or default_storage
    file_name, manifest_name = _names(month)
    rows = (
        ProgressEvent.objects.filter(received_at__gte=month.start, received_at__lt=month.end)
        .order_by("id")
        .values_list(*[field.attname for field in ProgressEvent._meta.concrete_fields])
    )
    plain, count, first_id, last_id = hashlib.sha256(), 0, None, None
    with tempfile.TemporaryFile() as spool:
        # mtime 0 and no file name in the header: the same rows always give the same bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=spool, mtime=0) as packed:
            header = (",".join(COLUMNS) + "\n").encode()
            plain.update(header)
            packed.write(header)
            for row in rows.iterator(chunk_size=2000):
                line = (",".join(_csv_field(value) for value in row) + "\n").encode()
                plain.update(line)
                packed.write(line)
                count += 1
                first_id = row[0] if first_id is None else first_id
                last_id = row[0]
        spool.seek(0)
        packed_sha = hashlib.file_digest(spool, "sha256").hexdigest()
        spool.seek(0)
        _replace(storage, file_name, File(spool, name=file_name))
    stored = _sha256(storage, file_name)
    if stored != (packed_sha, plain.hexdigest()):
        raise ArchiveError(f"{file_name}: the stored file's sha256 differs from what was written")
    manifest = {
        "format": MANIFEST_FORMAT,
        "table": TABLE,
        "month": month.label,
        "time_zone": settings.TIME_ZONE,
        "received_from": month.start.isoformat(),
        "received_before": month.end.isoformat(),
        "rows": count,
        "first_id": first_id,
        "last_id": last_id,
        "columns": COLUMNS,
        "file": file_name.rsplit("/", 1)[-1],
        "compression": "gzip",
        "csv": {"header": True, "null": "unquoted empty field", "quote": '"'},
        "sha256": {"file": packed_sha, "rows": plain.hexdigest()},
        "exported_at": timezone.now().isoformat(),
    }
    body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    with tempfile.TemporaryFile() as spool:
        spool.write(body)
        spool.seek(0)
        _replace(storage, manifest_name, File(spool, name=manifest_name))
    with storage.open(manifest_name, "rb") as stored_manifest:
        if json.loads(stored_manifest.read()) != manifest:
            raise ArchiveError(f"{manifest_name}: the stored manifest differs from what was written")
    return Export(month, file_name, manifest_name, manifest)


def retire_month(month: Month, *, keep_detached: bool = False, storage: Storage | None = None) -> Export:
    """Export ``month`` and, once the stored copy is verified, remove it from the database: on
    PostgreSQL detach its partition and drop it (``keep_detached``: leave it as a plain table);
    on SQLite delete its rows. All in one transaction: a failed export or check leaves every row
    where it was. On PostgreSQL the partition is locked against writes first, so the rows
    exported are the rows removed; the DETACH then holds the parent's lock only until commit."""
    with transaction.atomic():
        partitioned = is_partitioned()
        if partitioned:
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {_q(month.partition)} IN SHARE MODE")
        export = export_month(month, storage)
        if partitioned:
            with connection.cursor() as cursor:
                # Deferred foreign-key checks of rows written in this transaction (only ever in
                # tests) must run before their table may be dropped.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {_q(TABLE)} DETACH PARTITION {_q(month.partition)}")
                if not keep_detached:
                    cursor.execute(f"DROP TABLE {_q(month.partition)}")
        else:
            deleted, _ = ProgressEvent.objects.filter(
                received_at__gte=month.start, received_at__lt=month.end
            ).delete()
            if deleted != export.manifest["rows"]:
                raise ArchiveError(
                    f"{month.label}: {deleted} rows to delete, {export.manifest['rows']} exported"
                )
    return export
