"""Course pages as a learner and an editor meet them: lessons numbered across the course, their
durations as the player shows them, previous and next lesson, cover images (or a placeholder),
labels in one language, and the occupation field searchable in Wagtail's course form."""

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from courses.lessons import clock_text
from courses.models import Lesson, LessonKind
from tests.factories import OccupationFactory, course_index, enroll, make_course, site_home
from tests.teachers_factories import editor_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def lesson_url(course, lesson) -> str:
    return f"{course.url}lessons/{lesson.pk}/"


def course_with_chapters():
    """Five lessons in three chapters (the last one unnamed), saved in an order that is not the
    order of their ids: the course's order is ``sort_order``."""
    course = make_course(lessons=0)
    specs = [
        ("第一章 识别", "危险化学品的标志", 4),
        ("第一章 识别", "安全技术说明书", 3),
        ("第二章 处置", "泄漏处置", 2),
        ("第二章 处置", "火灾扑救", 1),
        ("", "单元小结", 0),
    ]
    for chapter, title, sort_order in reversed(specs):
        Lesson.objects.create(
            course=course,
            chapter=chapter,
            title=title,
            kind=LessonKind.VIDEO,
            duration=330,
            sort_order=-sort_order,
        )
    return course, [title for _chapter, title, _order in specs]


def make_cover(tmp_path, settings, *, description="化工园区安全生产课程封面"):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 900), "#123d6a").save(buffer, format="PNG")
    image = get_image_model()(title="封面", description=description, file=ImageFile(buffer, name="cover.png"))
    image.save()
    return image


def with_cover(course, image):
    course.cover = image
    course.save_revision().publish()
    course.refresh_from_db()
    return course


# --- Lesson numbering and durations ------------------------------------------------------------


def test_lessons_are_numbered_across_the_course_not_per_chapter(client):
    course, titles = course_with_chapters()

    html = client.get(course.url).content.decode()

    numbers = re.findall(
        r'<span class="lesson-number">(\d+)</span>\s*<a class="lesson-title"[^>]*>([^<]+)</a>', html
    )
    assert numbers == [(str(n), title) for n, title in enumerate(titles, start=1)]
    # Each chapter's list starts where the previous one stopped.
    assert re.findall(r'<ol class="lessons lesson-list" start="(\d+)">', html) == ["1", "3", "5"]
    assert html.count('class="chapter-title"') == 2  # the unnamed chapter has no heading


def test_the_list_shows_a_lesson_s_duration_as_the_player_does(client, learner):
    course = make_course(lessons=1, duration=330)
    lesson = course.lessons.get()
    lesson.media.name = "lessons/safety-1.mp4"
    lesson.save()

    page = client.get(course.url).content.decode()

    assert '<time datetime="PT5M30S">5:30</time>' in page
    assert "6 分钟" not in page
    enroll(learner, course)
    client.force_login(learner.user)
    player = client.get(lesson_url(course, lesson)).content.decode()
    assert 'data-duration="330"' in player
    assert "0:00 / 5:30" in player  # the player's credited / duration, before any study


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the player's formatter")
def test_the_server_formats_durations_exactly_as_player_js():
    source = (ROOT / "static" / "js" / "player.js").read_text()
    function = re.search(r"function formatSeconds\(total\) \{.*?\n  \}", source, re.S).group(0)
    samples = [0, 9, 59, 60, 61, 330, 330.9, 599, 3600, 3930]
    script = f"{function}\nconsole.log(JSON.stringify({samples}.map(formatSeconds)));"
    output = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout
    assert output.strip() == '["' + '","'.join(clock_text(value) for value in samples) + '"]'


# --- Previous and next lesson ------------------------------------------------------------------


def nav_links(html: str) -> dict:
    return dict(re.findall(r'rel="(prev|next)" href="([^"]+)"', html))


def test_each_lesson_links_to_the_one_before_and_after_in_course_order(client, learner):
    course, titles = course_with_chapters()
    lessons = list(course.lessons.order_by("sort_order"))
    assert [lesson.title for lesson in lessons] == titles
    enroll(learner, course)
    client.force_login(learner.user)

    for at, lesson in enumerate(lessons):
        html = client.get(lesson_url(course, lesson)).content.decode()
        links = nav_links(html)
        expected = {}
        if at > 0:
            expected["prev"] = lesson_url(course, lessons[at - 1])
        if at + 1 < len(lessons):
            expected["next"] = lesson_url(course, lessons[at + 1])
        assert links == expected, f"lesson {at + 1}"
        assert f"第 {at + 1} / {len(lessons)} 课时" in html


def test_a_course_of_one_lesson_has_no_previous_or_next(client, learner):
    course = make_course(lessons=1)
    enroll(learner, course)
    client.force_login(learner.user)
    html = client.get(lesson_url(course, course.lessons.get())).content.decode()
    assert nav_links(html) == {}
    assert 'class="lesson-nav"' not in html


# --- Covers ------------------------------------------------------------------------------------


def test_a_cover_is_shown_on_the_cards_and_the_course_page_with_its_alt_text(client, tmp_path, settings):
    course = with_cover(make_course(title="化工总控工安全生产基础"), make_cover(tmp_path, settings))

    for url in (course_index().url, site_home().url):
        html = client.get(url).content.decode()
        card = re.search(r'<img class="course-cover course-cover--card" src="([^"]+)"[^>]*>', html)
        assert card, url
        assert 'alt="化工园区安全生产课程封面"' in card.group(0)
        assert 'width="640" height="360"' in card.group(0)
        assert (tmp_path / card.group(1).removeprefix(settings.MEDIA_URL)).exists()
    page = client.get(course.url).content.decode()
    hero = re.search(r'<img class="course-cover course-cover--hero"[^>]*>', page)
    assert hero and 'alt="化工园区安全生产课程封面"' in hero.group(0)
    assert 'width="960" height="540"' in hero.group(0)


def test_a_cover_without_a_description_is_described_by_the_course_title(client, tmp_path, settings):
    course = with_cover(
        make_course(title="玻璃加工工岗位技能"), make_cover(tmp_path, settings, description="")
    )
    html = client.get(course.url).content.decode()
    assert re.search(r'<img class="course-cover course-cover--hero"[^>]*alt="玻璃加工工岗位技能"', html)


def test_a_course_without_a_cover_shows_a_placeholder_in_its_occupation_s_colour(client):
    course = make_course(title="养老护理员（五级）")  # 4-10-01-05: major group 4

    for url in (course_index().url, course.url):
        html = client.get(url).content.decode()
        assert '<img class="course-cover' not in html
        placeholder = re.search(
            r'<div class="course-cover [^"]*course-cover--placeholder tone-4" aria-hidden="true">', html
        )
        assert placeholder, url
        assert '<span class="course-cover__name">养老护理员</span>' in html


def test_the_api_gives_the_cover_url_or_null(api, tmp_path, settings):
    plain = make_course()
    covered = with_cover(make_course(), make_cover(tmp_path, settings))

    courses = {item["id"]: item for item in api.get("/api/v1/courses/").json()["results"]}

    assert courses[plain.pk]["cover"] is None
    assert re.search(r"/images/cover\.[^/]*fill-640x360[^/]*\.png$", courses[covered.pk]["cover"])
    detail = api.get(f"/api/v1/courses/{covered.pk}/").json()
    assert detail["cover"] == courses[covered.pk]["cover"]


def test_covers_do_not_make_the_course_list_s_queries_grow(api, tmp_path, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    image = make_cover(tmp_path, settings)
    with_cover(make_course(), image)
    api.get("/api/v1/courses/")  # the site-root cache, and the rendition made once

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/courses/").status_code == 200
        return len(captured)

    few = count()
    for _ in range(4):
        with_cover(make_course(), image)
    assert count() == few


def test_the_course_pages_load_their_stylesheet(client):
    course = make_course()
    for url in (site_home().url, course_index().url, course.url):
        assert "css/courses.css" in client.get(url).content.decode()


# --- One language at a time --------------------------------------------------------------------


def test_lesson_kinds_show_in_one_language(client):
    course = make_course(lessons=1)
    html = client.get(course.url).content.decode()
    assert '<span class="kind">视频</span>' in html
    assert "Video" not in html
    assert {str(label) for label in LessonKind.labels} == {"视频", "音频", "文档", "SCORM 课件", "测验"}


# --- The Wagtail course form -------------------------------------------------------------------


def test_the_course_form_offers_a_searchable_occupation_chooser_and_chinese_labels(client):
    course = make_course()
    client.force_login(editor_user())

    html = client.get(f"/admin/pages/{course.pk}/edit/").content.decode()

    assert '<select name="occupation"' not in html
    occupation_input = re.search(r'<input type="hidden" name="occupation" value="(\d+)"[^>]*>', html)
    assert occupation_input and occupation_input.group(1) == str(course.occupation_id)
    assert "/admin/occupations/chooser/" in html
    assert "选择职业" in html or "更换职业" in html
    for chinese in ("要求学时（小时）", "开放自主选课", "封面图片", "职业与学时", "学习规则"):
        assert chinese in html, chinese
    for english in ("Required study hours", "Open to self-enrolment", "Lessons", "Occupation and hours"):
        assert english not in html, english


def test_the_occupation_chooser_finds_occupations_by_name_and_code(client):
    electrician = OccupationFactory(code="6-31-01-03", name="电工")
    repair = OccupationFactory(code="6-30-01-99", name="维修电工")  # before 电工 in code order
    other = OccupationFactory(code="4-10-01-05", name="养老护理员")
    client.force_login(editor_user())

    modal = client.get("/admin/occupations/chooser/")
    assert modal.status_code == 200
    assert 'name="q"' in modal.json()["html"]

    def found(query) -> str:
        response = client.get("/admin/occupations/chooser/results/", {"q": query})
        assert response.status_code == 200
        return response.content.decode()

    by_name = found("电工")
    assert electrician.code in by_name and repair.code in by_name and other.code not in by_name
    assert by_name.index(electrician.code) < by_name.index(repair.code)  # the exact name first
    assert f"/admin/occupations/chooser/chosen/{electrician.pk}/" in by_name
    by_code = found("4-10")
    assert other.code in by_code and electrician.code not in by_code
    chosen = client.get(f"/admin/occupations/chooser/chosen/{electrician.pk}/").json()
    assert chosen["result"]["id"] == str(electrician.pk) or chosen["result"]["id"] == electrician.pk
    assert "电工" in chosen["result"]["title"]


def test_the_chooser_is_for_wagtail_users_only(client, learner):
    client.force_login(learner.user)
    response = client.get("/admin/occupations/chooser/results/", {"q": "电工"})
    assert response.status_code in (302, 403)


def test_an_editor_saves_the_course_with_the_chosen_occupation_and_a_cover(client, tmp_path, settings):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data

    course = make_course(lessons=0)
    electrician = OccupationFactory(code="6-31-01-03", name="电工")
    image = make_cover(tmp_path, settings)
    client.force_login(editor_user())
    data = nested_form_data(
        {
            "title": course.title,
            "slug": course.slug,
            "summary": "",
            "cover": image.pk,
            "occupation": electrician.pk,
            "level": course.level,
            "required_hours": "8",
            "open_enrolment": "on",
            "certificate_type": "training",
            "lessons": inline_formset([]),
        }
    )
    response = client.post(f"/admin/pages/{course.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].endswith(f"/admin/pages/{course.pk}/edit/"), response["Location"]
    course.refresh_from_db()
    draft = course.get_latest_revision_as_object()
    assert draft.occupation_id == electrician.pk
    assert draft.cover_id == image.pk


# --- 继续学习: where it leads within a course ------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "last", "expected"),
    [
        (set(), 2, 2),  # the lesson last studied, not complete: back to it
        ({2}, 2, 3),  # complete: the next incomplete one
        ({2, 3}, 2, 4),  # skipping completed ones
        ({2, 3, 4}, 2, 1),  # none after it: the first incomplete one before it
        ({1, 2, 3, 4}, 3, 3),  # all complete, the course not (hours short): where they were
        ({1}, 9, 9),  # a lesson no longer in the course: left as it is
    ],
)
def test_resume_leads_to_the_lesson_to_study_next(completed, last, expected):
    from courses.lessons import resume_lesson

    assert resume_lesson([1, 2, 3, 4], completed, last) == expected
