"""Chain the archive entries that exist already: one completion record each, in
(completed_at, pk) order, recorded at the entry's own ``recorded_at``.

The canonical content and the hash are written out here as they were defined when this migration
was made (docs/archive.md, "The hash"): a migration must not change with the application's code.
tests/test_archive_chain.py checks that what it writes verifies with ``archive_verify``.
"""

import datetime as dt
import json
from decimal import Decimal
from hashlib import sha256

from django.db import migrations

GENESIS = "0" * 64
BATCH = 1000


def _utc(value) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _content(entry) -> str:
    content = {
        "completed_at": _utc(entry.completed_at),
        "course": entry.course_id,
        "course_title": entry.course_title,
        "credited_seconds": f"{float(entry.credited_seconds):.3f}",
        "enrollment": entry.enrollment_id,
        "learner": entry.learner_id,
        "level": entry.level,
        "occupation_code": entry.occupation_code,
        "occupation_name": entry.occupation_name,
        "required_hours": f"{Decimal(str(entry.required_hours)):.2f}",
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_entries(apps, schema_editor):
    ArchiveEntry = apps.get_model("archive", "ArchiveEntry")
    LogRecord = apps.get_model("archive", "LogRecord")
    last = LogRecord.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, previous = last or (0, GENESIS)
    pending = ArchiveEntry.objects.filter(record__isnull=True).order_by("completed_at", "pk")
    records, entries = [], []
    for entry in pending.iterator(chunk_size=BATCH):
        seq += 1
        content = _content(entry)
        recorded_at = entry.recorded_at
        body = (
            f'{{"content":{content},"kind":"completion","recorded_at":"{_utc(recorded_at)}",'
            f'"refers_to":null,"seq":{seq}}}'
        ).encode("utf-8")
        digest = sha256(previous.encode("ascii") + body).hexdigest()
        records.append(
            LogRecord(
                seq=seq,
                kind="completion",
                content=content,
                recorded_at=recorded_at,
                prev_hash=previous,
                hash=digest,
            )
        )
        entry.record_id = seq
        entries.append(entry)
        previous = digest
        if len(records) >= BATCH:
            _write(LogRecord, ArchiveEntry, records, entries)
    _write(LogRecord, ArchiveEntry, records, entries)


def _write(LogRecord, ArchiveEntry, records, entries):  # noqa: N803 — historical models
    LogRecord.objects.bulk_create(records)
    ArchiveEntry.objects.bulk_update(entries, ["record"])
    records.clear()
    entries.clear()


def unchain_entries(apps, schema_editor):
    ArchiveEntry = apps.get_model("archive", "ArchiveEntry")
    LogRecord = apps.get_model("archive", "LogRecord")
    ArchiveEntry.objects.update(record=None)
    # Every record goes (0005's triggers are gone by now): a plain DELETE, as a record may refer
    # to another one.
    schema_editor.execute(f"DELETE FROM {schema_editor.quote_name(LogRecord._meta.db_table)}")


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0003_archive_log"),
    ]

    operations = [migrations.RunPython(chain_entries, unchain_entries)]
