"""The archive log: each record chained to the one before by SHA-256 over its canonical content,
appends serialised, the database refusing UPDATE and DELETE, and a verifier that names the first
broken link — an edited, deleted, inserted or reordered record, or a rewrite that is consistent
with itself but not with an earlier signed head. (The signed head, JWKS, admin screen and
/me/archive/: tests/test_archive_head.py.)"""

import datetime as dt
import hashlib
import json
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from archive import chain
from archive.models import ArchiveEntry, ArchiveHead, LogRecord
from archive.services import archive_entry_record, archive_head_record
from archive.signing import canonical_json, new_key_entry
from archive.verify import chain_verify
from learners.models import Learner
from progress.completion import course_completion_record
from tests.factories import LearnerFactory, enroll, make_course

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]


@pytest.fixture(autouse=True)
def signing_key(settings):
    """Tests run with DEBUG off, where the platform needs its key configured (as in production)."""
    settings.ARCHIVE_SIGNING_KEYS = TEST_KEY


TEST_KEY = new_key_entry("test-chain")


def notes(count: int) -> list[LogRecord]:
    """``count`` records of a kind of their own (no archive entry goes with them)."""
    return [chain.chain_append("note", {"n": n, "text": f"第{n}条"}) for n in range(1, count + 1)]


def tamper(*statements):
    """Run raw SQL with the append-only triggers lifted, as someone with the owner's rights could."""
    with transaction.atomic(), chain.guard_lifted(), connection.cursor() as cursor:
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, ())
            cursor.execute(sql, params)


def problem():
    report = chain_verify(chunk_size=2)  # small chunks: several round trips even for tests
    return report.problem


def independent_hash(prev_hash: str, record: LogRecord) -> str:
    """The hash as docs/archive.md defines it, computed here without archive.chain."""
    body = json.dumps(
        {
            "content": json.loads(record.content),
            "kind": record.kind,
            "recorded_at": record.recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "refers_to": record.refers_to_id,
            "seq": record.seq,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def shift(first: int, by: int) -> list[tuple]:
    """SQL renumbering the records from ``first`` on by ``by`` (through a free range: seq is
    the primary key)."""
    return [
        ("UPDATE archive_logrecord SET seq = seq + 1000000 WHERE seq >= %s", [first]),
        ("UPDATE archive_logrecord SET seq = seq - 1000000 + %s WHERE seq >= 1000000", [by]),
    ]


# --- canonical content and the hash --------------------------------------------------------------


def test_a_record_hashes_its_canonical_json_after_the_previous_hash():
    first, second = notes(2)
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == chain.GENESIS and second.prev_hash == first.hash
    for record in (first, second):
        record.refresh_from_db()
        assert record.hash == independent_hash(record.prev_hash, record)
        assert len(record.hash) == 64 and record.hash == record.hash.lower()
    body = chain.record_body(2, "note", "2026-01-02T03:04:05.000006Z", 1, second.content)
    assert body == canonical_json(
        {
            "content": json.loads(second.content),
            "kind": "note",
            "recorded_at": "2026-01-02T03:04:05.000006Z",
            "refers_to": 1,
            "seq": 2,
        }
    )


def test_the_worked_example_of_docs_archive_md_holds():
    content = chain.completion_content(
        learner_id=42,
        enrollment_id=7,
        course_id=15,
        course_title="养老护理员（五级）",
        occupation_code="4-10-01-05",
        occupation_name="养老护理员",
        level="5",
        required_hours="40.00",
        credited_seconds=144000.0,
        completed_at="2026-05-01T10:03:04.5+08:00",
    )
    body = chain.record_body(
        1, "completion", "2026-05-01T02:03:05.000123Z", None, chain.content_text(content)
    )
    assert body.decode().startswith('{"content":{"completed_at":"2026-05-01T02:03:04.500000Z","course":15,')
    digest = hashlib.sha256(("0" * 64).encode() + body).hexdigest()
    assert digest == chain.record_hash(chain.GENESIS, body)
    assert digest == "e5b1a66e4fca26588aa4b74be3759170a56f30ef6095ce169884510c7990fb32"


def test_a_completion_record_holds_the_entry_in_fixed_formats_and_no_personal_data():
    learner = LearnerFactory(verified=True)
    course = make_course(lessons=1, duration=60, title="电工（五级）")
    enroll(learner, course)
    entry = archive_entry_record(
        learner=learner, course_id=course.pk, completed_at="2026-03-01T09:30:00.25+08:00"
    )
    content = json.loads(entry.record.content)
    assert entry.record.kind == "completion" and entry.seq == entry.record.seq == 1
    assert content == {
        "completed_at": "2026-03-01T01:30:00.250000Z",
        "course": course.pk,
        "course_title": "电工（五级）",
        "credited_seconds": "0.000",
        "enrollment": entry.enrollment_id,
        "learner": learner.pk,
        "level": course.level,
        "occupation_code": course.occupation.code,
        "occupation_name": course.occupation.name,
        "required_hours": f"{course.required_hours:.2f}",
    }
    assert entry.record.content == canonical_json(content).decode()
    for private in (learner.real_name, learner.id_number, learner.phone):
        assert private not in entry.record.content


def test_seq_runs_one_two_three_and_kinds_and_references_are_checked():
    records = notes(3)
    assert [record.seq for record in records] == [1, 2, 3]
    with pytest.raises(chain.ChainError):
        chain.chain_append("Not a kind!", {})
    unsaved = LogRecord(seq=99)
    with pytest.raises(chain.ChainError):
        chain.chain_append("correction", {}, refers_to=unsaved)
    correction = chain.chain_append("correction", {"why": "x"}, refers_to=records[0])
    assert correction.seq == 4 and correction.refers_to_id == 1
    assert chain_verify().ok


# --- the verifier names the first broken link ----------------------------------------------------


def test_an_intact_log_verifies_and_the_command_says_so(capsys):
    notes(5)
    archive_head_record()
    call_command("archive_verify")
    out = capsys.readouterr().out
    assert "档案日志完整" in out and "5" in out


def test_an_edited_record_is_named(capsys):
    notes(5)
    tamper(("UPDATE archive_logrecord SET content = %s WHERE seq = 3", ['{"n":3,"text":"改过的"}']))
    found = problem()
    assert (found.code, found.seq) == ("edited", 3)
    with pytest.raises(CommandError, match="第 3 条记录被修改过"):
        call_command("archive_verify")


def test_an_edited_record_whose_hash_was_recomputed_is_named():
    records = notes(5)
    record = records[2]
    record.content = '{"n":3,"text":"改过的"}'
    body = chain.record_body(3, "note", chain.utc_text(record.recorded_at), None, record.content)
    tamper(
        (
            "UPDATE archive_logrecord SET content = %s, hash = %s WHERE seq = 3",
            [record.content, chain.record_hash(record.prev_hash, body)],
        )
    )
    found = problem()
    assert (found.code, found.seq) == ("edited", 3)
    assert "重算了哈希" in found.message


def test_a_deleted_record_is_named():
    notes(5)
    tamper("DELETE FROM archive_logrecord WHERE seq = 3")
    found = problem()
    assert (found.code, found.seq) == ("deleted", 3)
    assert "第 3 至 3 条记录缺失" in found.message


def test_a_deleted_record_is_named_when_the_rest_was_renumbered():
    notes(5)
    tamper("DELETE FROM archive_logrecord WHERE seq = 3", *shift(4, -1))
    found = problem()
    assert (found.code, found.seq) == ("deleted", 3)
    assert "重新编号" in found.message


def test_an_inserted_record_is_named():
    records = notes(5)
    forged = '{"n":99,"text":"伪造"}'
    at = chain.utc_text(records[0].recorded_at)
    digest = chain.record_hash(records[1].prev_hash, chain.record_body(2, "note", at, None, forged))
    tamper(
        *shift(2, 1),
        (
            "INSERT INTO archive_logrecord (seq, kind, content, recorded_at, prev_hash, hash) VALUES (2, 'note', %s, %s, %s, %s)",
            [forged, records[0].recorded_at, records[1].prev_hash, digest],
        ),
    )
    found = problem()
    assert (found.code, found.seq) == ("inserted", 2)


def test_reordered_records_are_named():
    notes(5)
    tamper(
        "UPDATE archive_logrecord SET seq = 1000002 WHERE seq = 2",
        "UPDATE archive_logrecord SET seq = 2 WHERE seq = 3",
        "UPDATE archive_logrecord SET seq = 3 WHERE seq = 1000002",
    )
    found = problem()
    assert (found.code, found.seq) == ("reordered", 2)
    assert "现第 2 条原为第 3 条" in found.message


def rewrite_from(seq: int):
    """Edit record ``seq`` and recompute every hash from there: a log consistent with itself."""
    statements, previous = [], None
    for record in LogRecord.objects.order_by("seq"):
        if record.seq < seq:
            previous = record.hash
            continue
        content = '{"n":0,"text":"整体改写"}' if record.seq == seq else record.content
        body = chain.record_body(record.seq, record.kind, chain.utc_text(record.recorded_at), None, content)
        digest = chain.record_hash(previous, body)
        statements.append(
            (
                "UPDATE archive_logrecord SET content = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [content, previous, digest, record.seq],
            )
        )
        previous = digest
    tamper(*statements)


def test_a_rewrite_consistent_with_itself_is_caught_against_an_earlier_signed_head():
    notes(2)
    archive_head_record()  # size 2
    notes(2)
    archive_head_record()  # size 4, covering the rewritten record
    kept_elsewhere = ArchiveHead.objects.get(size=4).jws
    notes(1)
    rewrite_from(3)
    found = problem()
    assert (found.code, found.seq) == ("rewritten", 4)
    assert "自身一致" in found.message and "前 2 条仍与更早的签名头一致" in found.message
    # Without the heads it would pass: that is what the heads are for.
    tamper("DELETE FROM archive_archivehead")
    assert chain_verify().ok
    # A head kept outside the platform still catches it.
    with pytest.raises(CommandError, match="自身一致"):
        call_command("archive_verify", head=[kept_elsewhere])


def test_records_deleted_from_the_end_are_caught_against_an_earlier_head():
    notes(4)
    archive_head_record()
    tamper("DELETE FROM archive_logrecord WHERE seq >= 3")
    found = problem()
    assert (found.code, found.seq) == ("truncated", 3)


def test_an_altered_head_is_refused():
    notes(2)
    head = archive_head_record()
    tamper(("UPDATE archive_archivehead SET hash = %s WHERE id = %s", ["f" * 64, head.pk]))
    assert problem().code == "head_invalid"
    signature = head.jws.rsplit(".", 1)
    tamper(
        (
            "UPDATE archive_archivehead SET hash = %s, jws = %s WHERE id = %s",
            [head.hash, signature[0] + ".AAAA", head.pk],
        )
    )
    assert problem().code == "head_invalid"


def test_an_edited_or_deleted_archive_entry_is_named():
    learner = LearnerFactory()
    course = make_course(lessons=1, duration=60)
    enroll(learner, course)
    entry = archive_entry_record(
        learner=learner, course_id=course.pk, completed_at="2026-03-01T09:30:00+08:00"
    )
    tamper(("UPDATE archive_archiveentry SET credited_seconds = 99999 WHERE id = %s", [entry.pk]))
    found = problem()
    assert (found.code, found.seq) == ("entry_edited", entry.seq)
    assert "credited_seconds" in found.message
    tamper(("DELETE FROM archive_archiveentry WHERE id = %s", [entry.pk]))
    assert problem().code == "entry_deleted"


def test_missing_triggers_fail_the_verification():
    with transaction.atomic(), chain.guard_lifted():
        found = chain_verify().problem
        assert found.code == "unguarded" and "archive_append_only_" in found.message
    assert chain_verify().ok


# --- the database refuses UPDATE and DELETE --------------------------------------------------------


def refused(sql, params=()):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_the_database_refuses_to_update_or_delete_the_log_entries_and_heads():
    learner = LearnerFactory()
    course = make_course(lessons=1, duration=60)
    enroll(learner, course)
    archive_entry_record(learner=learner, course_id=course.pk, completed_at="2026-03-01T09:30:00+08:00")
    archive_head_record()
    for statement in (
        "UPDATE archive_logrecord SET hash = 'x'",
        "DELETE FROM archive_logrecord",
        "UPDATE archive_archiveentry SET course_title = 'x'",
        "DELETE FROM archive_archiveentry",
        "UPDATE archive_archivehead SET hash = 'x'",
        "DELETE FROM archive_archivehead",
    ):
        refused(statement)
    refused("UPDATE archive_logrecord SET seq = seq + 1")
    with pytest.raises(DatabaseError), transaction.atomic():
        ArchiveEntry.objects.update(credited_seconds=1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # TRUNCATE waits for no deferred foreign-key check
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        refused("TRUNCATE archive_logrecord CASCADE")
        refused("TRUNCATE archive_archivehead")
    assert chain.guard_missing() == []
    assert LogRecord.objects.count() == 1 and ArchiveHead.objects.count() == 1
    assert chain_verify().ok


# --- appends are serialised ------------------------------------------------------------------------


def race(jobs) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as error:  # noqa: BLE001 — reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def completions(count: int):
    jobs = []
    for _ in range(count):
        learner = LearnerFactory()
        course = make_course(lessons=1, duration=60)
        enroll(learner, course)

        def complete(learner_id=learner.pk, course_id=course.pk):
            with transaction.atomic():
                course_completion_record(
                    learner=Learner.objects.get(pk=learner_id),
                    course_id=course_id,
                    completed_at="2026-03-01T09:30:00+08:00",
                )

        jobs.append(complete)
    return jobs


@pytest.fixture
def slow_tip(monkeypatch):
    """Widen the window between reading the log's tip and appending after it."""
    tip = chain._tip

    def slow():
        found = tip()
        time.sleep(0.3)
        return found

    monkeypatch.setattr(chain, "_tip", slow)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_racing_completions_append_two_well_chained_entries(slow_tip):
    errors = race(completions(2))
    assert errors == []
    assert list(LogRecord.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]
    assert ArchiveEntry.objects.count() == 2
    report = chain_verify()
    assert report.ok and report.size == 2 and report.entries_checked == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_the_append_lock_the_racing_completions_collide(slow_tip, monkeypatch):
    monkeypatch.setattr(chain, "_lock", lambda: None)
    errors = race(completions(2))
    # Both read the same tip: the primary key on seq stops the fork, at the cost of a completion.
    assert len(errors) == 1 and isinstance(errors[0], IntegrityError)
    assert chain_verify().ok


# --- entries that existed before the log; the flush between transactional tests --------------------


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_entries_are_chained_in_completion_order_and_verify():
    learners = [LearnerFactory() for _ in range(3)]
    course = make_course(lessons=1, duration=60)
    enrollments = [enroll(learner, course) for learner in learners]
    try:
        apps = migrate([("archive", "0002_required_hours_two_decimals")])
        OldEntry = apps.get_model("archive", "ArchiveEntry")
        for enrollment, day in zip(enrollments, (3, 1, 2), strict=True):
            OldEntry.objects.create(
                learner_id=enrollment.learner_id,
                enrollment_id=enrollment.pk,
                course_id=course.pk,
                course_title="老课程",
                occupation_code=course.occupation.code,
                occupation_name=course.occupation.name,
                level="5",
                required_hours="1.5",
                credited_seconds=5400.1234,
                completed_at=f"2025-06-0{day}T08:00:00+08:00",
            )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    ordered = ArchiveEntry.objects.order_by("record_id")
    assert [entry.completed_at.day for entry in ordered] == [1, 2, 3]
    assert json.loads(ordered[0].record.content)["credited_seconds"] == "5400.123"
    report = chain_verify()
    assert report.ok and report.size == 3 and report.entries_checked == 3
    # The transactional test ends with a flush: the guarded tables are emptied all the same.
