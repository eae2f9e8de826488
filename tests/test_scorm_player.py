# ruff: noqa: F811  (the fixtures media and imported come from tests.scorm_factories)
"""The SCORM player: the launch page, the package's files through a signed link, and the frame's
commits (split from test_scorm.py)."""

import json
import re

import pytest

from progress.models import LessonProgress
from scorm.models import ScormAttempt
from tests.factories import enroll, make_course
from tests.scorm_factories import (  # noqa: F401  (media, imported: fixtures)
    CMI_COMPLETED,
    GOLF_12,
    GOLF_2004,
    MANIFEST_12,
    imported,
    make_zip,
    media,
    minimal_package,
    scorm_course,
)

pytestmark = pytest.mark.django_db


def launched(client, learner, lesson) -> dict:
    """The player's config, as the launch page gives it to launch.js."""
    client.force_login(learner.user)
    response = client.get(f"/scorm/lessons/{lesson.pk}/launch/")
    assert response.status_code == 200
    return response.context["config"]


def signed(url: str) -> str:
    """The path of an absolute link on the test server."""
    assert url.startswith("http://testserver/scorm/content/")
    return url.removeprefix("http://testserver")


def body_of(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode()


def frame_data(html: str) -> dict:
    """The learner's data injected into a package page for its runtime."""
    found = re.search(r"<script>window\.__ZIBO_SCORM__=(\{.*?\});</script>", html)
    assert found, "no runtime data in the page"
    return json.loads(found.group(1))


def test_the_package_is_reached_through_a_signed_link_without_the_session(client, learner, imported):
    from django.test import Client

    url = signed(launched(client, learner, imported)["launchUrl"])
    assert re.fullmatch(r"/scorm/content/[\w:.-]+/index\.html", url)
    base = url.rsplit("/", 1)[0]
    frame = Client()  # the sandboxed frame's requests carry no session cookie

    page = frame.get(url)
    script = frame.get(f"{base}/js/app.js")
    image = frame.get(f"{base}/img/a.png")

    assert page.status_code == 200
    assert page["Content-Type"] == "text/html; charset=utf-8"  # the page's <meta charset>, kept
    html = body_of(page)
    assert html.count("LMSInitialize") == 1  # the package's own page, whole
    assert script["Content-Type"] == "text/javascript"
    assert b"".join(script.streaming_content) == b"var x = 1;"
    assert image["Content-Type"] == "image/png"
    for response in (page, script, image):
        assert "X-Frame-Options" not in response  # framed by the player (and the package's frames)
        assert response["Content-Security-Policy"].startswith("sandbox allow-scripts")
        assert not response.cookies


def test_every_html_page_gets_the_runtime_before_the_packages_own_scripts(client, learner, imported):
    url = signed(launched(client, learner, imported)["launchUrl"])
    html = body_of(client.get(url))
    head = html.index("<head>") + len("<head>")
    assert html[head:].startswith("<script>window.__ZIBO_SCORM__=")
    runtime = html.index("/static/vendor/scorm-again/scorm12.min.js")
    bridge = html.index("/static/scorm/frame.js")
    assert head < runtime < bridge < html.index("function findAPI")
    data = frame_data(html)
    assert data["version"] == "1.2" and data["platformOrigin"] == "http://testserver"
    assert data["commitUrl"] == "http://testserver/scorm/commit/" + url.split("/")[3] + "/"
    assert data["cmi"]["core"]["entry"] == "ab-initio"


def test_package_pages_carry_the_learners_latest_saved_data(client, learner, imported):
    url = signed(launched(client, learner, imported)["launchUrl"])
    ScormAttempt.objects.create(
        learner=learner,
        lesson=imported,
        version="1.2",
        cmi={
            "core": {"lesson_location": "p3", "exit": "suspend", "session_time": "00:01:00"},
            "suspend_data": "s=1",
        },
    )

    response = client.get(url)  # every page is read afresh: a page opened later resumes too

    assert response["Cache-Control"] == "private, no-store"
    cmi = frame_data(body_of(response))["cmi"]
    core = cmi["core"]
    assert core["lesson_location"] == "p3" and core["entry"] == "resume"
    assert core["student_name"] == learner.real_name and core["student_id"] == learner.user.username
    assert "session_time" not in core
    assert cmi["suspend_data"] == "s=1"


def test_a_package_file_costs_two_queries_and_a_page_three(
    client, learner, imported, django_assert_max_num_queries
):
    url = signed(launched(client, learner, imported)["launchUrl"])
    client.logout()
    with django_assert_max_num_queries(2):  # the lesson with its package; the enrolled learner
        assert client.get(url.replace("index.html", "img/a.png")).status_code == 200
    with django_assert_max_num_queries(3):  # and the learner's saved attempt
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "../../../config/settings.py",
        "js/../../index.html",
        "%2e%2e/%2e%2e/secret",
        "js\\..\\..\\x",
        "no-such.html",
        "js/",
    ],
)
def test_package_files_refuse_path_traversal_and_unknown_files(client, learner, imported, media, path):
    (media / "scorm" / "secret").write_text("secret")
    base = signed(launched(client, learner, imported)["launchUrl"]).rsplit("/", 1)[0]
    response = client.get(f"{base}/{path}")
    assert response.status_code == 404
    assert b"secret" not in response.content


def test_the_old_session_address_redirects_an_enrolled_learner_to_a_signed_link(
    client, learner, imported, other_learner
):
    old = f"/scorm/lessons/{imported.pk}/content/img/a.png"
    anonymous = client.get(old)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/?next=")

    client.force_login(other_learner.user)
    assert client.get(old).status_code == 403

    client.force_login(learner.user)
    moved = client.get(old + "?x=1")
    assert moved.status_code == 302
    assert re.fullmatch(r"http://testserver/scorm/content/[\w:.-]+/img/a\.png\?x=1", moved["Location"])
    client.logout()
    assert client.get(signed(moved["Location"])).status_code == 200


def test_the_launch_page_frames_the_package_sandboxed(client, learner, imported):
    client.force_login(learner.user)

    response = client.get(f"/scorm/lessons/{imported.pk}/launch/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "scorm/launch.js" in html and "scorm-again" not in html  # the runtime is in the frame
    frame = re.search(r"<iframe id=\"scorm-frame\"[^>]*>", html).group(0)
    assert 'sandbox="allow-scripts allow-forms allow-popups allow-downloads allow-modals"' in frame
    config = response.context["config"]
    assert config["contentOrigin"] == "null"
    assert config["expiresIn"] == 6 * 3600
    assert config["completed"] is False
    assert "cmi" not in config  # the learner's data goes only to the frame, with the page
    assert "csrftoken" in response.cookies  # the study clock's heartbeats


def test_the_launch_page_sends_anonymous_visitors_to_login_and_refuses_the_unenrolled(
    client, imported, other_learner
):
    url = f"/scorm/lessons/{imported.pk}/launch/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"

    client.force_login(other_learner.user)
    refused = client.get(url)
    assert refused.status_code == 403
    assert "您尚未报名本课程" in refused.content.decode()


def test_the_launch_page_of_a_lesson_without_a_package_is_a_404(client, learner):
    course = make_course(lessons=1)
    enroll(learner, course)
    client.force_login(learner.user)
    assert client.get(f"/scorm/lessons/{course.lessons.get().pk}/launch/").status_code == 404


# --- the frame's commits, through the signed link ----------------------------------------------


def commit_url(client, learner, lesson) -> str:
    url = signed(launched(client, learner, lesson)["launchUrl"])
    client.logout()  # the frame has no session
    return "/scorm/commit/" + url.split("/")[3] + "/"


def test_the_frames_commit_saves_the_learners_data_and_completes_the_lesson(client, learner, imported):
    url = commit_url(client, learner, imported)
    body = json.dumps({"cmi": CMI_COMPLETED, "channel": "pc"})

    response = client.post(url, body, content_type="text/plain;charset=UTF-8")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.cookies
    assert response.json()["completed"] is True and response.json()["lesson_status"] == "completed"
    attempt = ScormAttempt.objects.get(learner=learner, lesson=imported)
    assert attempt.cmi["suspend_data"] == "viewed=1,2,3" and attempt.last_channel == "pc"
    assert LessonProgress.objects.get(learner=learner, lesson=imported).content_completed_at is not None
    again = client.post(url, body, content_type="text/plain;charset=UTF-8")  # PUT-like: idempotent
    assert again.status_code == 200 and ScormAttempt.objects.count() == 1


@pytest.mark.parametrize(
    "raw, status",
    [
        ("not json", 400),
        ('{"cmi": NaN}', 400),
        ("[]", 400),
        ('{"cmi": "x"}', 400),
        ('{"cmi": {}, "channel": "fax"}', 400),
        ('{"cmi": {"core": {"lesson_status": "done"}}}', 400),
        ("[" * 100000 + "]" * 100000, 400),
    ],
)
def test_bad_commits_from_the_frame_are_refused_and_save_nothing(client, learner, imported, raw, status):
    url = commit_url(client, learner, imported)
    response = client.post(url, raw, content_type="text/plain")
    assert response.status_code == status and response.json()["detail"]
    assert not ScormAttempt.objects.exists()


def test_an_oversized_commit_is_a_413(client, learner, imported, settings):
    settings.SCORM_MAX_COMMIT_BYTES = 1000
    url = commit_url(client, learner, imported)
    response = client.post(url, json.dumps({"cmi": {"suspend_data": "x" * 2000}}), content_type="text/plain")
    assert response.status_code == 413
    assert not ScormAttempt.objects.exists()


def test_the_commit_link_answers_a_cors_preflight_and_refuses_get(client, learner, imported):
    url = commit_url(client, learner, imported)
    preflight = client.options(url)
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == "*"
    assert client.get(url).status_code == 405
