"""What the archive log shows outside: the signed head (checked here with joserfc and the public
JWK Set alone), the 档案校验 screen by persona, ``seq`` and ``hash`` in /me/archive/ that
recompute, corrections as new records, and the completion date that counts. (The log and its
verifier: tests/test_archive_chain.py.)"""

import datetime as dt
import hashlib
import json

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.utils import timezone
from joserfc import jws
from joserfc.jwk import KeySet

from archive import chain
from archive.models import ArchiveEntry, LogRecord
from archive.services import CorrectionRefused, archive_entry_correct, archive_entry_record
from archive.signing import new_key_entry
from archive.verify import chain_verify
from learners.models import Enrollment
from tests.factories import LearnerFactory, UserFactory, enroll, make_course
from tests.institutions_factories import InstitutionFactory, in_group, official_of, staff_of
from tests.progress_helpers import Player, send

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]

HEAD_URL = "/api/v1/archive/head/"
ARCHIVE_URL = "/api/v1/me/archive/"
SCREEN = "/admin/archive/verify/"


@pytest.fixture(autouse=True)
def signing_key(settings):
    """Tests run with DEBUG off, where the platform needs its key configured (as in production)."""
    settings.ARCHIVE_SIGNING_KEYS = TEST_KEYS


# The current key first, a retired one after it: both are published.
TEST_KEYS = f"{new_key_entry('test-new')} {new_key_entry('test-old')}"


def completed_entry(learner=None, **course_fields) -> ArchiveEntry:
    learner = learner or LearnerFactory(verified=True)
    course = make_course(lessons=1, duration=60, **course_fields)
    enroll(learner, course)
    return archive_entry_record(learner=learner, course_id=course.pk, completed_at=timezone.now())


# --- the signed head and the public keys ---------------------------------------------------------


def test_the_head_is_public_and_its_jws_verifies_with_the_published_key_alone(api):
    completed_entry()
    completed_entry()
    body = api.get(HEAD_URL).json()
    last = LogRecord.objects.order_by("-seq").first()
    # Each completion appends its completion record and its certificate's issue.
    assert body["size"] == 4 == LogRecord.objects.count() and body["hash"] == last.hash
    assert body["signed_at"].endswith("Z")
    keys = api.get("/.well-known/jwks.json")
    assert keys.status_code == 200 and keys["Content-Type"] == "application/json"
    assert all(
        key["kty"] == "OKP" and key["crv"] == "Ed25519" and "d" not in key for key in keys.json()["keys"]
    )
    verified = jws.deserialize_compact(body["jws"], KeySet.import_key_set(keys.json()), algorithms=["EdDSA"])
    assert verified.protected["alg"] == "EdDSA"
    assert [key["kid"] for key in keys.json()["keys"]] == ["test-new", "test-old"]
    assert verified.protected["kid"] == "test-new"
    assert json.loads(verified.payload) == {"size": 4, "hash": last.hash, "signed_at": body["signed_at"]}
    tampered = body["jws"].split(".")
    tampered[1] = tampered[1][:-2] + ("A" if tampered[1][-2] != "A" else "B") + tampered[1][-1]
    with pytest.raises(Exception):  # noqa: B017 — joserfc's BadSignatureError or a decoding error
        jws.deserialize_compact(".".join(tampered), KeySet.import_key_set(keys.json()), algorithms=["EdDSA"])


def test_an_empty_log_has_a_head_too(api):
    body = api.get(HEAD_URL).json()
    assert (body["size"], body["hash"]) == (0, "0" * 64)


def test_the_head_is_cached_briefly_and_forgotten_when_a_record_is_appended(
    api, django_capture_on_commit_callbacks
):
    first = api.get(HEAD_URL)
    assert "max-age=30" in first["Cache-Control"]
    assert api.get(HEAD_URL).json() == first.json()  # from the cache: the same signature
    with django_capture_on_commit_callbacks(execute=True):
        chain.chain_append("note", {"n": 1})
    assert api.get(HEAD_URL).json()["size"] == first.json()["size"] + 1


def test_the_head_is_throttled_per_address(api, settings):
    settings.ARCHIVE_HEAD_RATE = "2/min"
    assert [api.get(HEAD_URL).status_code for _ in range(3)] == [200, 200, 429]
    assert api.get(HEAD_URL).json()["detail"]


def test_the_schema_documents_the_head_and_the_entries_seq_and_hash(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    entry = schema["components"]["schemas"]["ArchiveEntry"]["properties"]
    assert {"id", "seq", "hash", "prev_hash", "canonical"} <= set(entry)
    assert "/api/v1/archive/head/" in schema["paths"]


# --- the 档案校验 screen -----------------------------------------------------------------------------


def with_admin_access(user):
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user


def test_the_screen_is_for_the_bureau_and_auditors_only(client):
    completed_entry()
    readers = {
        "auditor": in_group("Auditors"),  # the group opens the admin (archive migration 0006)
        "bureau (superuser)": UserFactory(is_superuser=True, is_staff=True),
        "bureau group with admin access": with_admin_access(in_group("Bureau")),
    }
    others = {
        "editor": with_admin_access(in_group("Editors", is_staff=True)),
        "district official": with_admin_access(official_of("张店区")),
        "institution staff": with_admin_access(staff_of(InstitutionFactory())),
    }
    for name, user in readers.items():
        client.force_login(user)
        page = client.get(SCREEN)
        assert page.status_code == 200, name
        assert "开始校验" in page.content.decode()
        assert '"url": "/admin/archive/verify/"' in client.get("/admin/").content.decode(), name
        done = client.post(SCREEN).content.decode()
        assert 'data-verification="ok"' in done and "档案日志完整" in done, name
    for name, user in others.items():
        client.force_login(user)
        assert client.get(SCREEN).status_code == 403, name
        assert client.post(SCREEN).status_code == 403, name
        assert "/admin/archive/verify/" not in client.get("/admin/").content.decode(), name
    client.force_login(LearnerFactory().user)
    assert client.get(SCREEN).status_code == 302  # no admin access at all: Wagtail sends to login
    client.logout()
    assert client.get(SCREEN).status_code == 302


def test_the_screen_names_the_first_broken_link(client):
    entry = completed_entry()
    with transaction.atomic(), chain.guard_lifted(), connection.cursor() as cursor:
        cursor.execute("UPDATE archive_logrecord SET content = '{}' WHERE seq = %s", [entry.seq])
    client.force_login(in_group("Auditors"))
    page = client.post(SCREEN).content.decode()
    assert 'data-verification="edited"' in page and f"第 {entry.seq} 条记录被修改过" in page


# --- /me/archive/: seq and hash that recompute ------------------------------------------------------


def test_archive_entries_show_their_seq_and_a_hash_that_recomputes(learner_api, learner):
    learner.verified = True
    learner.save(update_fields=["verified"])
    course = make_course(lessons=1, duration=30)
    enroll(learner, course)
    lesson = course.lessons.get()
    send(learner_api, Player(lesson.pk).watch(0, lesson.duration, at=0))
    completed_entry(learner)
    results = learner_api.get(ARCHIVE_URL).json()["results"]
    assert len(results) == 2
    for shown in results:
        entry = ArchiveEntry.objects.get(pk=shown["id"])
        assert shown["seq"] == entry.record.seq and shown["hash"] == entry.record.hash
        recomputed = hashlib.sha256(
            shown["prev_hash"].encode() + shown["canonical"].encode("utf-8")
        ).hexdigest()
        assert recomputed == shown["hash"]
        record = json.loads(shown["canonical"])
        assert record["seq"] == shown["seq"] and record["kind"] == "completion"
        assert record["content"]["course"] == shown["course"]
        assert float(record["content"]["credited_seconds"]) == pytest.approx(shown["credited_seconds"])
        assert dt.datetime.fromisoformat(record["content"]["completed_at"]) == dt.datetime.fromisoformat(
            shown["completed_at"]
        )
    newest, oldest = results
    # Between them, the first certificate's issue, which refers to the first completion.
    between = LogRecord.objects.get(seq=2)
    assert between.kind == "certificate_issued" and between.refers_to_id == 1
    assert (oldest["seq"], newest["seq"]) == (1, 3) and newest["prev_hash"] == between.hash


def test_a_correction_is_a_new_record_naming_the_one_it_corrects(learner_api, learner):
    entry = completed_entry(learner)
    bureau = UserFactory(is_superuser=True)
    correction = archive_entry_correct(
        entry=entry, changes={"credited_seconds": 3600}, reason="补录线下实训课时", by=bureau
    )
    assert (correction.kind, correction.refers_to_id, correction.seq) == (
        "correction",
        entry.seq,
        entry.seq + 1,
    )
    assert json.loads(correction.content) == {
        "by": bureau.pk,
        "changes": {"credited_seconds": "3600.000"},
        "entry": entry.pk,
        "reason": "补录线下实训课时",
    }
    shown = learner_api.get(ARCHIVE_URL).json()["results"][0]
    assert shown["credited_seconds"] == 3600 and shown["corrected_by"] == [correction.seq]
    assert shown["seq"] == entry.seq  # the entry keeps its place; the correction has its own
    assert ArchiveEntry.objects.get(pk=entry.pk).credited_seconds == 0  # the row is never edited
    assert chain_verify().ok
    for changes, reason in (({"learner": 1}, "x"), ({}, "x"), ({"credited_seconds": 1}, " ")):
        with pytest.raises(CorrectionRefused):
            archive_entry_correct(entry=entry, changes=changes, reason=reason)


# --- the completion date that counts -----------------------------------------------------------------


def test_the_archive_keeps_the_completion_time_it_is_given_not_the_time_it_is_written():
    finished = timezone.now() - dt.timedelta(days=3)
    learner = LearnerFactory()
    course = make_course(lessons=1, duration=60)
    enroll(learner, course)
    entry = archive_entry_record(learner=learner, course_id=course.pk, completed_at=finished)
    entry.refresh_from_db()
    assert entry.completed_at == finished
    assert json.loads(entry.record.content)["completed_at"] == chain.utc_text(finished)
    assert entry.record.recorded_at - finished > dt.timedelta(days=2)


def test_a_backlog_uploaded_days_later_archives_the_day_it_was_studied(learner_api, learner):
    course = make_course(lessons=1, duration=120)
    enroll(learner, course)
    lesson = course.lessons.get()
    studied = timezone.now() - dt.timedelta(days=3)
    send(learner_api, Player(lesson.pk, "app", base=studied).watch(0, lesson.duration, at=0))
    entry = ArchiveEntry.objects.get(learner=learner)
    finished = studied + dt.timedelta(seconds=lesson.duration)
    assert abs(entry.completed_at - finished) < dt.timedelta(minutes=1)
    assert Enrollment.objects.get(learner=learner, course=course).completed_at == entry.completed_at
