import re

import pytest
from django.core.management import CommandError, call_command

from courses.models import CoursePage, LessonKind, Occupation
from demand.models import TrainingDemand
from demo.seed import COURSES
from learners.models import Learner
from scorm.demo import DEMO_PACKAGES
from scorm.models import ScormPackage

# The seed records the demo learner's study as a backlog: it must be credited under rule 9 as
# deployed (a grant issued before the study), so these tests keep the rule on.
pytestmark = [pytest.mark.django_db, pytest.mark.backlog_rule]


@pytest.fixture
def seeded_programme(settings, tmp_path):
    """The whole demo seed, its training programme included (demo/programme.py)."""
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def seeded(settings, tmp_path, monkeypatch):
    """The demo seed without the programme's forty-odd workers (a few seconds of study each
    seed): the tests that read the programme, or could be disturbed by it, ask for
    ``seeded_programme``."""
    monkeypatch.setattr("demo.seed.seed_programme", lambda: None)
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


def test_the_seed_is_idempotent(seeded_programme):
    from archive.models import ArchiveEntry, Certificate
    from progress.models import CreditedSpan, ProgressEvent
    from subsidies.models import ClaimEvent, SubsidyClaim

    models = (CoursePage, Learner, Occupation, ProgressEvent, CreditedSpan, ArchiveEntry, Certificate)
    models += (SubsidyClaim, ClaimEvent)
    before = [model.objects.count() for model in models]
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [model.objects.count() for model in models] == before


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


def test_the_completed_demo_course_stands_in_the_archive_with_a_certificate(seeded_programme, api, client):
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
    assert certificate["status"] == "valid" and certificate["credential"].count(".") == 2
    pdf = api.get(certificate["pdf_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # Seeding again archives nothing twice.
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert api.get("/api/v1/me/archive/").json()["count"] == 1


# --- what a bureau reviewer would notice --------------------------------------------------------


def test_every_course_asks_for_the_hours_its_required_lessons_hold(seeded):
    """Required hours = the required lessons' durations at the completion share, rounded down to
    0.01 h: completing every required lesson covers them, and they are not a made-up figure."""
    courses = CoursePage.objects.live().filter(slug__in=[spec.slug for spec in COURSES])
    assert courses.count() == len(COURSES)
    for course in courses:
        lessons = list(course.lessons.all())
        required = sum(lesson.duration for lesson in lessons if lesson.required)
        held = required * course.completion_fraction()
        asked = int(course.required_hours * 3600)
        assert asked <= held + 1e-6, f"{course.slug}: {course.required_hours} h is more than its lessons hold"
        assert held - asked < 36, f"{course.slug}: {course.required_hours} h is short of {held:.0f} s"
        assert course.required_hours * 3600 <= sum(lesson.duration for lesson in lessons)


def test_the_demo_learner_covered_the_hours_of_their_completed_course(seeded, client):
    from archive.models import ArchiveEntry

    done = CoursePage.objects.get(slug="elderly-care")
    studied = sum(lesson.duration for lesson in done.lessons.all())
    assert 0 < done.required_hours * 3600 <= studied
    entry = ArchiveEntry.objects.get(course=done, learner__user__username="demo")
    assert entry.credited_seconds >= entry.required_seconds > 0
    # What the learner and anyone checking the certificate read: credited time, then required.
    client.login(username="demo", password="demo12345")
    archive_page = client.get("/me/archive/").content.decode()
    assert "获得学时" in archive_page and "4 分钟 / 要求 3 分钟" in archive_page
    certificate = client.get(f"/certificates/{entry.certificate.number}/").content.decode()
    assert "4 分钟（要求 3 分钟）" in certificate


def test_each_video_belongs_to_its_course(seeded):
    """No ceramics or cooking course playing a video titled 化工安全: a video file is used only by
    courses of one occupation."""
    occupations_by_file: dict[str, set[str]] = {}
    for course in CoursePage.objects.live().filter(slug__in=[spec.slug for spec in COURSES]):
        for lesson in course.lessons.filter(kind=LessonKind.VIDEO):
            name = lesson.media.name.rsplit("/", 1)[-1]
            occupations_by_file.setdefault(name, set()).add(course.occupation.code)
    assert occupations_by_file, "no video lessons"
    shared = {name: codes for name, codes in occupations_by_file.items() if len(codes) > 1}
    assert not shared
    contract = CoursePage.objects.get(slug="chemical-safety")
    assert (contract.attention_check_minutes, contract.block_seek_ahead) == (0, False)


def test_the_demo_scorm_lessons_are_our_chinese_packages_and_launch(seeded, client):
    course = CoursePage.objects.get(slug="elderly-care-advanced")
    lessons = list(course.lessons.filter(kind=LessonKind.SCORM).order_by("sort_order"))
    assert [lesson.title for lesson in lessons] == [spec.title for spec in DEMO_PACKAGES]
    for lesson in lessons:
        assert re.search(r"[\u4e00-\u9fff]", lesson.title)
        assert not re.search(r"golf|[A-Za-z]{4,}", lesson.title, re.IGNORECASE)
        assert (lesson.required, lesson.duration) == (False, 300)
    packages = ScormPackage.objects.filter(lesson__in=lessons).order_by("lesson__sort_order")
    assert [(p.version, p.title) for p in packages] == [
        ("1.2", "老年人跌倒预防与应对"),
        ("2004", "协助老年人进食与饮水"),
    ]
    assert not ScormPackage.objects.filter(title__icontains="golf").exists()

    assert client.login(username="demo", password="demo12345")
    for lesson in lessons:
        launch = client.get(f"/scorm/lessons/{lesson.pk}/launch/")
        assert launch.status_code == 200
        assert lesson.title in launch.content.decode()
        index = client.get(f"/scorm/lessons/{lesson.pk}/content/index.html", follow=True)
        assert index.status_code == 200
        assert "sco.js" in index.content.decode()
        page = client.get(f"/scorm/lessons/{lesson.pk}/content/pages/5.html", follow=True)
        assert page.status_code == 200


def test_seeding_again_keeps_one_copy_of_each_demo_scorm_lesson(seeded):
    course = CoursePage.objects.get(slug="elderly-care-advanced")
    before = list(course.lessons.order_by("sort_order").values_list("pk", "title"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(course.lessons.order_by("sort_order").values_list("pk", "title")) == before
    assert ScormPackage.objects.filter(lesson__course=course).count() == 2


def test_every_demo_course_has_its_own_cover_shown_with_alt_text(seeded, client):
    from wagtail.images import get_image_model

    courses = list(CoursePage.objects.live().filter(slug__in=[spec.slug for spec in COURSES]))
    assert len(courses) == len(COURSES)
    assert all(course.cover_id for course in courses)
    assert len({course.cover_id for course in courses}) == len(courses)  # one each
    for course in courses:
        assert course.cover.width == 1280 and course.cover.height == 720
        assert course.title in course.cover.description
        html = client.get(course.url).content.decode()
        assert re.search(
            rf'<img class="course-cover course-cover--hero"[^>]*alt="课程封面：{re.escape(course.title)}"',
            html,
        )
    listing = client.get("/courses/").content.decode()
    assert listing.count('<img class="course-cover course-cover--card"') >= len(COURSES)
    images = get_image_model().objects.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert get_image_model().objects.count() == images


def test_a_course_seeded_before_covers_existed_gets_one(seeded):
    course = CoursePage.objects.get(slug="housekeeping")
    cover = course.cover
    course.cover = None
    course.save_revision().publish()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    course.refresh_from_db()
    assert course.cover == cover
    assert course.live and not course.has_unpublished_changes


def test_the_seed_states_a_few_training_demands_once(seeded):
    demands = TrainingDemand.objects.all()
    assert demands.filter(learner__user__username="demo", occupation__code="4-10-01-05").count() == 1
    assert demands.filter(learner__isnull=False).exclude(learner__user__username="demo").count() == 2
    assert demands.filter(enterprise__isnull=False).count() == 3
    before = demands.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert TrainingDemand.objects.count() == before


def test_the_seed_publishes_one_offer_with_a_class_demo_can_enrol_in_once(seeded, api):
    from orders.models import OrderApplication, TrainingOffer

    offer = TrainingOffer.objects.get()
    assert offer.status == "published" and offer.subsidy_amount is not None
    application = OrderApplication.objects.get(offer=offer)
    assert application.status == "approved" and application.training_class is not None
    token = api.post("/api/v1/auth/token/", {"username": "demo", "password": "demo12345"}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    classes = api.get("/api/v1/me/open-classes/").json()["results"]
    assert [row["id"] for row in classes] == [application.training_class_id]
    assert classes[0]["answers_demand"] is True  # demo's demand for 养老护理员 was matched
    assert api.post(f"/api/v1/me/open-classes/{application.training_class_id}/enroll/").status_code == 201
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert TrainingOffer.objects.count() == 1 and OrderApplication.objects.count() == 1


# --- the demo programme: what the bureau and the zhangdian official see in the reports ---------


def test_the_demo_programme_fills_the_report_of_this_year_and_the_last(seeded_programme, client):
    from django.contrib.auth.models import User

    from reports.selectors import current_period
    from subsidies.models import ClaimStatus, SubsidyClaim

    year = current_period().year
    client.force_login(User.objects.get(username="bureau"))
    rows = client.get(f"/api/v1/reports/training/?year={year}").json()["results"]
    assert len(rows) == 11 and all(row["trainees"] > 0 for row in rows)
    filled = [row for row in rows if row["completions"] and row["certificates"] and row["subsidy_claims"]]
    assert len(filled) >= 8
    assert all(float(row["subsidy_amount"]) > 0 for row in filled)
    last_year = client.get(f"/api/v1/reports/training/?year={year - 1}").json()["results"]
    assert sum(1 for row in last_year if row["completions"]) >= 8  # the previous-period column
    # Claims went through the review: one rejected by the district, one paid; none is demo's.
    claims = SubsidyClaim.objects.all()
    assert claims.filter(status=ClaimStatus.REJECTED).count() == 1
    assert claims.filter(status=ClaimStatus.PAID).count() == 1
    assert not claims.filter(learner__user__username="demo").exists()
    # The demo workers have no login.
    assert not any(user.has_usable_password() for user in User.objects.filter(username__startswith="demo-w-"))

    client.force_login(User.objects.get(username="zhangdian"))
    own = client.get(f"/api/v1/reports/training/?year={year}").json()["results"]
    assert [row["district"] for row in own] == ["张店区"]
    assert own[0]["trainees"] >= 5 and own[0]["completions"] >= 5 and own[0]["subsidy_claims"] >= 2
    page = client.get("/reports/").content.decode()
    assert "张店区" in page and "淄川区" not in page
