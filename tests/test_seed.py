import pytest
from django.core.management import CommandError, call_command

from courses.models import CoursePage, Occupation
from learners.models import Learner

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_the_seed_loads_the_occupations_courses_and_demo_logins(seeded, api):
    assert Occupation.objects.count() == 1631
    assert CoursePage.objects.live().count() >= 6
    demo = Learner.objects.get(user__username="demo")
    assert demo.user.check_password("demo12345")
    token = api.post("/api/v1/auth/token/", {"username": "demo", "password": "demo12345"}, format="json")
    assert token.status_code == 200


def test_the_demo_course_has_two_video_lessons_over_300_seconds(seeded, api):
    course = CoursePage.objects.get(slug="chemical-safety")
    detail = api.get(f"/api/v1/courses/{course.pk}/").json()
    videos = [lesson for lesson in detail["lessons"] if lesson["kind"] == "video"]
    assert len(videos) >= 2
    assert all(lesson["duration"] > 300 for lesson in videos)
    assert detail["open_enrolment"] is True
    assert Learner.objects.get(user__username="demo").enrollments.filter(course=course).exists()


def test_the_seed_is_idempotent(seeded):
    before = (CoursePage.objects.count(), Learner.objects.count(), Occupation.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (CoursePage.objects.count(), Learner.objects.count(), Occupation.objects.count()) == before


def test_the_seed_refuses_production_settings(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses production"):
        call_command("seed_demo")
    assert not Learner.objects.exists()


def test_the_demo_learner_has_completed_one_course_honestly(seeded, api):
    token = api.post("/api/v1/auth/token/", {"username": "demo", "password": "demo12345"}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    done = CoursePage.objects.get(slug="elderly-care")
    body = api.get(f"/api/v1/progress/courses/{done.pk}/").json()
    assert body["completed"] is True
    assert all(lesson["completed"] for lesson in body["lessons"])
    assert body["credited_seconds"] == sum(lesson.duration for lesson in done.lessons.all())
    fresh = CoursePage.objects.get(slug="chemical-safety")
    untouched = api.get(f"/api/v1/progress/courses/{fresh.pk}/").json()
    assert untouched["credited_seconds"] == 0
    assert untouched["completed_lessons"] == 0


def test_the_demo_has_video_audio_and_document_lessons_read_from_their_files(seeded):
    course = CoursePage.objects.get(slug="elderly-care-advanced")
    lessons = {lesson.kind: lesson for lesson in course.lessons.all()}
    assert lessons["video"].duration == 120
    assert lessons["audio"].duration == 90
    assert lessons["document"].pages == 3
    assert lessons["document"].duration > 0
    assert "quiz" in lessons


def test_the_completed_demo_course_stands_in_the_archive_with_a_certificate(seeded, api, client):
    token = api.post("/api/v1/auth/token/", {"username": "demo", "password": "demo12345"}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    done = CoursePage.objects.get(slug="elderly-care")
    archive = api.get("/api/v1/me/archive/").json()
    assert [entry["course"] for entry in archive["results"]] == [done.pk]
    entry = archive["results"][0]
    assert entry["credited_seconds"] == sum(lesson.duration for lesson in done.lessons.all())
    certificate = entry["certificate"]
    assert certificate["number"] and certificate["type"] == done.certificate_type
    assert client.get(certificate["verify_url"].removeprefix("http://testserver")).status_code == 200
    # Seeding again archives nothing twice.
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert api.get("/api/v1/me/archive/").json()["count"] == 1
