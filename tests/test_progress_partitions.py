"""The evidence log at scale (docs/progress.md, "The log at scale"): monthly partitions on
PostgreSQL, the duplicate check across them, and the retention that exports old months to the
storage and removes them; on SQLite one plain table, whose old rows are exported and deleted."""

import datetime as dt
import gzip
import hashlib
import io
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from archive.models import ArchiveEntry
from archive.verify import chain_verify
from progress import partitions, store
from progress.models import LessonProgress, ProgressEvent
from progress.partitions import Month
from progress.services import events_record
from reports.selectors import period_of, training_report
from tests.conftest import client_for
from tests.factories import LearnerFactory, enroll, make_course
from tests.progress_helpers import Player, send
from tests.s3 import BUCKET, s3_client
from vocabulary.people import District

pytestmark = pytest.mark.django_db

CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The default storage (media/ locally) in a temporary directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def lesson(learner):
    course = make_course(lessons=1, duration=600)
    enroll(learner, course)
    return course.lessons.get()


def partition_of(event_id) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM progress_progressevent WHERE event_id = %s", [event_id]
        )
        return cursor.fetchone()[0]


def logged(learner, received_at, **fields) -> ProgressEvent:
    fields.setdefault("event_id", uuid.uuid4())
    return ProgressEvent.objects.create(learner=learner, status="accepted", received_at=received_at, **fields)


def stored_export(month_label: str):
    """The manifest and the decompressed CSV of an exported month, read from the storage."""
    base = f"evidence-archive/progress_progressevent/progress_progressevent-{month_label}"
    with default_storage.open(f"{base}.manifest.json", "rb") as stored:
        manifest = json.load(stored)
    with default_storage.open(f"{base}.csv.gz", "rb") as stored:
        packed = stored.read()
    return manifest, packed


def check_export(month_label: str, expected_ids: list[int]) -> dict:
    manifest, packed = stored_export(month_label)
    plain = gzip.decompress(packed)
    assert manifest["month"] == month_label
    assert manifest["rows"] == len(expected_ids)
    assert manifest["sha256"] == {
        "file": hashlib.sha256(packed).hexdigest(),
        "rows": hashlib.sha256(plain).hexdigest(),
    }
    lines = plain.decode().splitlines()
    assert lines[0].split(",") == manifest["columns"]
    assert [int(line.split(",")[0].strip('"')) for line in lines[1:]] == expected_ids
    return manifest


# --- PostgreSQL: the table is partitioned by month ------------------------------------------------


@pytest.mark.postgres
def test_the_log_is_partitioned_by_month_with_a_default_partition_and_months_ahead(settings):
    assert partitions.is_partitioned()
    months = partitions.attached_months()
    current = Month.of(timezone.now())
    assert [current.plus(n) for n in range(settings.PROGRESS_PARTITIONS_AHEAD + 1)] == [
        month for month in months if month >= current
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'progress_progressevent'::regclass AND c.relpartbound IS NOT NULL "
            "AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'"
        )
        assert cursor.fetchall() == [("progress_progressevent_default",)]


@pytest.mark.postgres
def test_a_heartbeat_lands_in_the_partition_of_the_month_it_was_received(learner_api, lesson):
    player = Player(lesson.pk, base=timezone.now() - dt.timedelta(seconds=30))
    beat = player.beat(20, 20)
    response = send(learner_api, [player.play(0, 0), beat])
    assert [result["status"] for result in response.json()["results"]] == ["accepted", "accepted"]
    assert partition_of(beat["id"]) == Month.of(timezone.now()).partition


@pytest.mark.postgres
def test_a_resent_event_is_a_duplicate_across_a_month_boundary_and_credited_once(learner, lesson):
    last_minute = dt.datetime(2026, 1, 31, 23, 59, 0, tzinfo=CHINA)
    partitions.ensure_partitions(now=last_minute, ahead=1)
    player = Player(lesson.pk, base=last_minute - dt.timedelta(seconds=40))
    play, beat = player.play(0, 0), player.beat(40, 40)
    first = events_record(learner=learner, raw_events=[play, beat], now=last_minute)
    assert [result["status"] for result in first.results] == ["accepted", "accepted"]
    assert partition_of(beat["id"]) == "progress_progressevent_p202601"

    # The client did not get the answer and resends after midnight (the next month's partition).
    resend = events_record(
        learner=learner, raw_events=[play, beat], now=last_minute + dt.timedelta(minutes=2)
    )
    assert [result["status"] for result in resend.results] == ["duplicate", "duplicate"]
    assert LessonProgress.objects.get(learner=learner, lesson=lesson).credited_seconds == 40
    assert ProgressEvent.objects.filter(event_id=beat["id"]).count() == 1


@pytest.mark.postgres
def test_a_resend_days_later_within_the_offline_window_is_still_a_duplicate(learner, lesson, settings):
    start = dt.datetime(2026, 3, 30, 10, 0, tzinfo=CHINA)
    partitions.ensure_partitions(now=start, ahead=1)
    player = Player(lesson.pk, base=start - dt.timedelta(seconds=40))
    events = [player.play(0, 0), player.beat(40, 40)]
    events_record(learner=learner, raw_events=events, now=start)
    later = start + dt.timedelta(seconds=settings.PROGRESS["OFFLINE_WINDOW_SECONDS"] - 60)
    assert Month.of(later) != Month.of(start)
    resend = events_record(learner=learner, raw_events=events, now=later)
    assert [result["status"] for result in resend.results] == ["duplicate", "duplicate"]
    assert LessonProgress.objects.get(learner=learner, lesson=lesson).credited_seconds == 40


@pytest.mark.postgres
def test_the_duplicate_check_reads_only_the_partitions_that_can_hold_an_earlier_acceptance(settings):
    now = timezone.now()
    window = settings.PROGRESS["OFFLINE_WINDOW_SECONDS"] + settings.PROGRESS["CLOCK_AHEAD_SECONDS"]
    statement = store.accepted_event_ids([uuid.uuid4()], now - dt.timedelta(seconds=window), now)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement.sql, statement.params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    read = {name for name in partitions.attached_months() if name.partition in plan}
    assert 1 <= len(read) <= 2
    assert read <= {Month.of(now), Month.of(now - dt.timedelta(seconds=window))}


@pytest.mark.postgres
def test_a_second_acceptance_of_one_id_in_one_month_is_refused_by_the_database(learner):
    from django.db import IntegrityError

    first = logged(learner, timezone.now())
    with pytest.raises(IntegrityError):
        logged(learner, timezone.now(), event_id=first.event_id)


@pytest.mark.postgres
def test_the_command_creates_months_ahead_and_moves_rows_out_of_the_default_partition(learner):
    far = timezone.now() + dt.timedelta(days=400)  # beyond every partition made ahead
    stray = logged(learner, far)
    assert partition_of(stray.event_id) == "progress_progressevent_default"

    out = io.StringIO()
    call_command("progress_partitions", ahead=5, stdout=out)
    month = Month.of(far)
    assert f"created {month.partition} (1 rows moved from the default partition)" in out.getvalue()
    assert partition_of(stray.event_id) == month.partition
    assert {Month.of(timezone.now()).plus(n) for n in range(6)} <= set(partitions.attached_months())

    out = io.StringIO()
    call_command("progress_partitions", ahead=5, stdout=out)  # again: nothing left to do
    assert out.getvalue() == ""


@pytest.mark.postgres
def test_retention_exports_a_verified_month_then_detaches_it(learner):
    old = Month.of(timezone.now()).plus(-30)
    partitions.create_month(old)
    rows = [logged(learner, old.start + dt.timedelta(days=day), user_agent='say "hi"') for day in (1, 2, 3)]
    recent = logged(learner, timezone.now())

    out = io.StringIO()
    call_command("progress_partitions", retention=True, stdout=out)
    assert f"{old.label}: 3 rows exported to" in out.getvalue()
    check_export(old.label, [row.pk for row in rows])
    assert old not in partitions.attached_months()
    assert not ProgressEvent.objects.filter(pk__in=[row.pk for row in rows]).exists()
    assert ProgressEvent.objects.filter(pk=recent.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [old.partition])
        assert cursor.fetchone() == (None,)  # dropped

    out = io.StringIO()
    call_command("progress_partitions", retention=True, stdout=out)  # again: nothing to do
    assert "no month is older than the retention" in out.getvalue()


@pytest.mark.postgres
def test_retention_can_keep_the_month_as_a_detached_table(learner):
    old = Month.of(timezone.now()).plus(-30)
    partitions.create_month(old)
    row = logged(learner, old.start + dt.timedelta(days=1))
    call_command("progress_partitions", retention=True, keep_detached=True, stdout=io.StringIO())
    assert not ProgressEvent.objects.filter(pk=row.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id FROM "{old.partition}"')  # noqa: S608
        assert cursor.fetchall() == [(row.pk,)]


@pytest.mark.postgres
def test_a_failing_storage_leaves_the_month_attached_and_the_command_fails(learner, monkeypatch):
    old = Month.of(timezone.now()).plus(-30)
    partitions.create_month(old)
    row = logged(learner, old.start + dt.timedelta(days=1))

    def unavailable(self, name, content):
        raise OSError("storage unavailable")

    monkeypatch.setattr(FileSystemStorage, "_save", unavailable)
    with pytest.raises(
        CommandError, match=f"{old.label}: export failed, nothing removed: storage unavailable"
    ):
        call_command("progress_partitions", retention=True, stdout=io.StringIO())
    assert old in partitions.attached_months()
    assert ProgressEvent.objects.filter(pk=row.pk).exists()


@pytest.mark.postgres
def test_a_corrupted_upload_is_caught_by_reading_it_back(learner, monkeypatch):
    old = Month.of(timezone.now()).plus(-30)
    partitions.create_month(old)
    row = logged(learner, old.start + dt.timedelta(days=1))
    save = FileSystemStorage._save

    def truncating(self, name, content):
        return save(self, name, ContentFile(content.read()[:-10]))

    monkeypatch.setattr(FileSystemStorage, "_save", truncating)
    with pytest.raises(CommandError, match="export failed, nothing removed"):
        call_command("progress_partitions", retention=True, stdout=io.StringIO())
    assert ProgressEvent.objects.filter(pk=row.pk).exists()


@pytest.mark.postgres
def test_after_retention_the_archive_still_verifies_and_the_report_gives_the_same_hours():
    learner = LearnerFactory(verified=True)
    course = make_course(lessons=1, duration=1800)
    enroll(learner, course)
    lesson = course.lessons.get()
    api = client_for(learner.user)
    send(api, Player(lesson.pk).watch(0, lesson.duration, at=0))
    assert ArchiveEntry.objects.filter(learner=learner).count() == 1
    period = period_of(timezone.localdate().year)
    before = training_report(period, list(District.values)).totals
    assert before.credited_hours > 0

    partitions.retire_month(Month.of(timezone.now()))  # the month of the study, as if it were old

    assert not ProgressEvent.objects.filter(learner=learner).exists()
    assert chain_verify().ok
    after = training_report(period, list(District.values)).totals
    assert (after.credited_hours, after.completions, after.certificates) == (
        before.credited_hours,
        before.completions,
        before.certificates,
    )


def test_retention_exports_to_the_s3_bucket_and_checks_the_stored_copy(s3_media, learner):
    """Production's storage: the month's files land in the bucket, checked, before any row goes
    (on either database)."""
    old = Month.of(timezone.now()).plus(-30)
    if partitions.is_partitioned():
        partitions.create_month(old)
    rows = [logged(learner, old.start + dt.timedelta(days=2))]
    call_command("progress_partitions", retention=True, stdout=io.StringIO())
    check_export(old.label, [row.pk for row in rows])
    key = f"evidence-archive/progress_progressevent/progress_progressevent-{old.label}.csv.gz"
    assert s3_client(s3_media).head_object(Bucket=BUCKET, Key=key)["ContentLength"] > 0
    assert not ProgressEvent.objects.filter(pk=rows[0].pk).exists()


# --- SQLite: one table ----------------------------------------------------------------------------


def test_on_sqlite_the_log_is_one_table_and_retention_exports_then_deletes_old_rows(learner):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite layout; PostgreSQL's is tested above")
    assert not partitions.is_partitioned()
    old = Month.of(timezone.now()).plus(-30)
    rows = [logged(learner, old.start + dt.timedelta(hours=hours)) for hours in (1, 30)]
    recent = logged(learner, timezone.now())

    out = io.StringIO()
    call_command("progress_partitions", retention=True, stdout=out)
    assert f"{old.label}: 2 rows exported to" in out.getvalue()
    manifest = check_export(old.label, [row.pk for row in rows])
    assert manifest["received_from"] == old.start.isoformat()
    assert list(ProgressEvent.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_negative_number_of_months_is_refused_with_a_message(db):
    with pytest.raises(CommandError, match="--ahead must be 0 or more, not -1"):
        call_command("progress_partitions", ahead=-1)
