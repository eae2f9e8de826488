"""The real-name training archive: a completion reaches it once, with a certificate that anyone
can check on a public page showing only masked personal data."""

import re

import pytest

from archive.certificates import certificate_number_new
from archive.models import ArchiveEntry, Certificate
from archive.services import archive_backfill, archive_entry_record
from learners.models import Enrollment
from progress.completion import course_completion_record
from tests.conftest import client_for
from tests.factories import LearnerFactory, UserFactory, enroll, make_course
from tests.progress_helpers import Player, send
from vocabulary.identity import mask_name
from vocabulary.training import CertificateType

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(db):
    """Only a real-name verified learner is certified (unverified ones: tests/test_verification.py)."""
    return LearnerFactory(verified=True)


ARCHIVE_URL = "/api/v1/me/archive/"


def complete(client, course, start=0):
    """Watch every lesson of the course to its end through the API, one after the other, from
    ``start`` seconds after the players' base time (study times of a learner must not overlap)."""
    at = start
    for lesson in course.lessons.all():
        send(client, Player(lesson.pk).watch(0, lesson.duration, at=at))
        at += lesson.duration + 10


def complete_new_courses(learner, client, numbers):
    """Enrol the learner in one fresh one-lesson course per number and complete it, the n-th
    starting at 60 × n seconds (so their study times never overlap)."""
    for n in numbers:
        course = make_course(lessons=1, duration=30)
        enroll(learner, course)
        complete(client, course, start=60 * n)


@pytest.fixture
def course():
    return make_course(
        lessons=2, duration=120, title="电工（五级）", certificate_type=CertificateType.SKILL_LEVEL
    )


@pytest.fixture
def completed(learner, learner_api, course):
    enroll(learner, course)
    complete(learner_api, course)
    return course


# --- a completion reaches the archive once ------------------------------------------------------


def test_completing_a_course_writes_one_entry_with_a_certificate(learner, completed):
    entry = ArchiveEntry.objects.get(learner=learner)
    assert entry.course_id == completed.pk
    assert entry.course_title == "电工（五级）"
    assert entry.occupation_code == completed.occupation.code
    assert entry.credited_seconds == 240  # both lessons watched in full
    assert entry.completed_at == Enrollment.objects.get(learner=learner, course=completed).completed_at
    # The platform issues the 培训合格证书; the skill-level certificate the course leads to is
    # issued elsewhere and recorded by staff (tests/test_certificates.py).
    assert entry.certificate.type == CertificateType.TRAINING
    assert re.fullmatch(r"ZB\d{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", entry.certificate.number)


def test_a_course_half_done_is_not_in_the_archive(learner, learner_api, course):
    enroll(learner, course)
    first = course.lessons.first()
    send(learner_api, Player(first.pk).watch(0, first.duration, at=0))
    assert not ArchiveEntry.objects.exists()
    assert learner_api.get(ARCHIVE_URL).json()["count"] == 0


def test_watching_again_after_completion_adds_nothing(learner, learner_api, completed):
    complete(learner_api, completed, start=1000)
    assert ArchiveEntry.objects.filter(learner=learner).count() == 1
    assert Certificate.objects.count() == 1


def test_recording_the_same_completion_twice_returns_the_first_entry(learner, completed):
    enrollment = Enrollment.objects.get(learner=learner, course=completed)
    again = archive_entry_record(
        learner=learner, course_id=completed.pk, completed_at=enrollment.completed_at
    )
    assert again == ArchiveEntry.objects.get()
    assert Certificate.objects.count() == 1


def test_a_course_without_certificate_is_archived_without_one(learner, learner_api):
    course = make_course(lessons=1, duration=60, certificate_type=CertificateType.NONE)
    enroll(learner, course)
    complete(learner_api, course)
    entry = ArchiveEntry.objects.get(learner=learner)
    assert not Certificate.objects.filter(entry=entry).exists()
    assert learner_api.get(ARCHIVE_URL).json()["results"][0]["certificate"] is None


def test_the_entry_keeps_the_course_as_it_was_when_completed(learner, completed):
    completed.title = "电工（五级）2027 版"
    completed.save_revision().publish()
    assert ArchiveEntry.objects.get(learner=learner).course_title == "电工（五级）"


def test_completions_made_before_the_archive_are_backfilled_once(learner):
    course = make_course(lessons=1, duration=60)
    enroll(learner, course)
    # completed without the archive's receiver: a row written before the archive existed
    Enrollment.objects.filter(learner=learner, course=course).update(completed_at="2026-01-05T10:00:00+08:00")
    assert archive_backfill() == 1
    assert archive_backfill() == 0
    assert ArchiveEntry.objects.get(learner=learner).completed_at.year == 2026


def test_an_archive_write_that_fails_rolls_back_the_completion(learner, monkeypatch):
    course = make_course(lessons=1, duration=60)
    enroll(learner, course)

    def broken(**kwargs):
        raise RuntimeError("archive unavailable")

    monkeypatch.setattr("archive.receivers.archive_entry_record", broken)
    with pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            course_completion_record(
                learner=learner, course_id=course.pk, completed_at="2026-02-01T09:00:00+08:00"
            )
    assert Enrollment.objects.get(learner=learner, course=course).completed_at is None
    assert not ArchiveEntry.objects.exists()


def test_certificate_numbers_are_random_and_readable():
    numbers = {certificate_number_new(2026) for _ in range(200)}
    assert len(numbers) == 200
    assert not any(set(n[7:]) & set("01ILO") for n in numbers)


# --- GET /api/v1/me/archive/ -----------------------------------------------------------------------


def test_the_archive_lists_the_learners_completions_with_their_certificate(learner_api, completed):
    body = learner_api.get(ARCHIVE_URL).json()
    assert body["count"] == 1 and body["previous"] is None and body["next"] is None
    entry = body["results"][0]
    assert entry["course"] == completed.pk
    assert entry["occupation"] == {"code": completed.occupation.code, "name": completed.occupation.name}
    assert entry["level"] == completed.level
    assert entry["credited_seconds"] == 240
    assert entry["completed_at"]
    certificate = entry["certificate"]
    assert certificate["type"] == "training"
    assert certificate["number"] in certificate["verify_url"]
    assert certificate["verify_url"].startswith("http://testserver/certificates/")


def test_the_archive_is_for_signed_in_learners_only(api, db):
    assert api.get(ARCHIVE_URL).status_code == 401
    staff = client_for(UserFactory(username="clerk", is_staff=True))
    response = staff.get(ARCHIVE_URL)
    assert response.status_code == 403
    assert response.json()["detail"]


def test_a_learner_never_sees_another_learners_archive(completed):
    stranger = client_for(LearnerFactory().user)
    assert stranger.get(ARCHIVE_URL).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_the_archive_list_costs_the_same_queries_for_many_entries(
    learner, learner_api, django_assert_max_num_queries
):
    complete_new_courses(learner, learner_api, range(3))
    assert ArchiveEntry.objects.filter(learner=learner).count() == 3
    # token with user and learner, role look-ups, count, page with certificates
    with django_assert_max_num_queries(8) as captured:
        learner_api.get(ARCHIVE_URL)
    few = len(captured)
    complete_new_courses(learner, learner_api, range(3, 6))
    with django_assert_max_num_queries(few):
        assert learner_api.get(ARCHIVE_URL).json()["count"] == 6


# --- the public verification page and "我的档案" ---------------------------------------------------


def test_anyone_can_check_a_certificate_and_sees_only_masked_personal_data(client, learner, completed):
    number = Certificate.objects.get().number
    page = client.get(f"/certificates/{number}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert number in html and "电工（五级）" in html
    assert learner.id_number not in html and learner.real_name not in html
    # The masked name is the only personal data: not even the masked ID number.
    assert learner.masked_id_number not in html and learner.id_number[-4:] not in html
    assert mask_name(learner.real_name) in html
    assert page["X-Robots-Tag"] == "noindex"


def test_a_number_never_issued_is_a_404(client, db):
    assert client.get("/certificates/ZB2026-AAAA-BBBB/").status_code == 404


def test_names_are_masked_keeping_the_first_and_last_character():
    assert mask_name("张明") == "张*"
    assert mask_name("张小明") == "张*明"
    assert mask_name("欧阳小华") == "欧**华"


def test_my_archive_page_lists_completions_and_links_the_certificate(client, learner, completed):
    client.force_login(learner.user)
    html = client.get("/me/archive/").content.decode()
    number = Certificate.objects.get().number
    assert "电工（五级）" in html
    assert f'href="/certificates/{number}/"' in html
    assert learner.id_number not in html


def test_my_archive_page_sends_visitors_to_login_and_refuses_staff(client, db):
    response = client.get("/me/archive/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    client.force_login(UserFactory(username="clerk2", is_staff=True))
    assert client.get("/me/archive/").status_code == 403


def test_my_archive_page_costs_the_same_queries_for_many_entries(
    client, learner, learner_api, django_assert_max_num_queries
):
    client.force_login(learner.user)
    complete_new_courses(learner, learner_api, range(2))
    with django_assert_max_num_queries(12) as captured:
        client.get("/me/archive/")
    few = len(captured)
    complete_new_courses(learner, learner_api, range(2, 5))
    with django_assert_max_num_queries(few):
        assert client.get("/me/archive/").content.decode().count('class="card"') == 5


def test_a_course_without_required_lessons_is_not_completed_by_watching_one(learner, learner_api):
    course = make_course(lessons=1, duration=60)
    course.lessons.update(required=False)
    enroll(learner, course)
    complete(learner_api, course)
    assert Enrollment.objects.get(learner=learner, course=course).completed_at is None
    assert not ArchiveEntry.objects.exists()


def test_a_certificate_number_carries_the_year_of_china_not_of_utc(learner):
    import datetime as dt

    course = make_course(lessons=1, duration=60)
    enroll(learner, course)
    new_year = dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC)  # 2027-01-01 01:30 in Zibo
    Enrollment.objects.filter(learner=learner, course=course).update(completed_at=new_year)
    entry = archive_entry_record(learner=learner, course_id=course.pk, completed_at=new_year)
    assert entry.certificate.number.startswith("ZB2027-")
