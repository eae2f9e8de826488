"""SCORM courseware: package validation, import to storage, the player and content pages, and
the runtime data API (permissions, saving, completion)."""

import io
import json
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from courses.models import CoursePage, Lesson, LessonKind
from progress.models import LessonProgress
from scorm.models import ScormAttempt, ScormPackage
from scorm.package import validate_package
from scorm.services import package_import
from tests.conftest import client_for
from tests.factories import LearnerFactory, UserFactory, enroll, make_course
from tests.scorm_factories import (
    GOLF_12,
    GOLF_2004,
    MANIFEST_12,
    make_zip,
    minimal_package,
    scorm_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Every test writes to its own media folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def validated(data: bytes):
    return validate_package(io.BytesIO(data))


def refusal(data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        validated(data)
    return " ".join(caught.value.messages)


# --- validation -------------------------------------------------------------------------------


def test_it_accepts_the_real_golf_scorm_12_package():
    info = validate_package(GOLF_12.open("rb"))
    assert info.version == "1.2"
    assert info.title == "Golf Explained - Run-time Basic Calls"
    assert info.launch == "shared/launchpage.html"
    assert info.file_count == 44
    assert info.sha256 == "79d0aac544aaf912bb1bdd4d9092f9ad277dbf27409881fcbc13e2469fef4c06"


def test_it_accepts_the_real_golf_scorm_2004_package():
    info = validate_package(GOLF_2004.open("rb"))
    assert info.version == "2004"
    assert info.launch == "shared/launchpage.html"
    assert info.identifier == "com.scorm.golfsamples.runtime.basicruntime.20043rd"


def test_it_accepts_a_minimal_authored_package_and_leaves_the_file_rewound():
    upload = io.BytesIO(minimal_package())
    info = validate_package(upload)
    assert (info.version, info.title, info.launch, info.file_count) == (
        "1.2",
        "安全生产小课件",
        "index.html",
        2,
    )
    assert upload.tell() == 0


def _manifest(**replacements) -> str:
    return MANIFEST_12.format(href=replacements.get("href", "index.html"))


BAD_PACKAGES = {
    "parent segment": (
        lambda: minimal_package(**{"../evil.html": "x"}),
        ["不安全", "unsafe path"],
    ),
    "absolute path": (lambda: minimal_package(**{"/etc/cron.d/evil": "x"}), ["unsafe path"]),
    "drive letter": (lambda: minimal_package(**{"C:/Windows/evil.dll": "x"}), ["unsafe path"]),
    "backslash escape": (lambda: minimal_package(**{"media\\..\\..\\evil.html": "x"}), ["unsafe path"]),
    "symlink": (
        lambda: make_zip(
            {"imsmanifest.xml": _manifest(), "index.html": "x"}, symlinks={"link": "/etc/passwd"}
        ),
        ["符号链接", "symbolic link"],
    ),
    "no manifest": (
        lambda: make_zip({"index.html": "x"}),
        ["SCORM 包缺少 imsmanifest.xml。", "The SCORM package has no imsmanifest.xml at its root."],
    ),
    "manifest in a folder": (
        lambda: make_zip({"course/imsmanifest.xml": _manifest(), "course/index.html": "x"}),
        ["根目录", 'not in the folder "course/"'],
    ),
    "corrupt": (lambda: b"PK\x03\x04 this is not really a zip", ["不是有效的 zip", "corrupt"]),
    "truncated": (lambda: minimal_package()[:200], ["corrupt"]),
    "dtd": (
        lambda: make_zip(
            {
                "imsmanifest.xml": '<?xml version="1.0"?>\n<!DOCTYPE manifest SYSTEM "http://example.com/x.dtd">\n'
                + _manifest().split("\n", 1)[1],
                "index.html": "x",
            }
        ),
        ["DTD", "refused for safety"],
    ),
    "entities": (
        lambda: make_zip(
            {
                "imsmanifest.xml": '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n<manifest>&lol2;</manifest>',
                "index.html": "x",
            }
        ),
        ["实体", "entities"],
    ),
    "malformed manifest": (
        lambda: make_zip({"imsmanifest.xml": "<manifest><oops></manifest>", "index.html": "x"}),
        ["格式正确", "not well-formed"],
    ),
    "unknown version": (
        lambda: make_zip(
            {
                "imsmanifest.xml": '<manifest identifier="m"><metadata><schemaversion>9.9</schemaversion>'
                "</metadata></manifest>",
                "index.html": "x",
            }
        ),
        ["无法识别 SCORM 版本", "Unknown SCORM version"],
    ),
    "launch file missing": (
        lambda: make_zip({"imsmanifest.xml": _manifest(href="start.html"), "index.html": "x"}),
        ["start.html", "is not in the zip"],
    ),
    "external launch": (
        lambda: make_zip(
            {"imsmanifest.xml": _manifest(href="https://evil.example/x.html"), "index.html": "x"}
        ),
        ["external"],
    ),
    "zip bomb": (lambda: minimal_package(**{"zeros.bin": b"\0" * (3 * 1024 * 1024)}), ["zip bomb"]),
}


@pytest.mark.parametrize("case", BAD_PACKAGES, ids=list(BAD_PACKAGES))
def test_it_refuses_a_bad_package_with_a_clear_bilingual_error_and_stores_nothing(case):
    make, expected = BAD_PACKAGES[case]
    data = make()
    message = refusal(data)
    for part in expected:
        assert part in message
    assert any("\u4e00" <= char <= "\u9fff" for char in message), "the message has a Chinese part"
    # Through the import too: the lesson's zip is refused and nothing is unpacked or recorded.
    _, lesson = scorm_course(data)
    with pytest.raises(ValidationError):
        package_import(lesson=lesson)
    assert not default_storage.exists("scorm")
    assert not ScormPackage.objects.exists()


def test_it_refuses_a_package_over_the_upload_size_setting(settings):
    settings.SCORM_MAX_UPLOAD_BYTES = 100
    message = refusal(minimal_package())
    assert "SCORM 包过大" in message and "too large" in message


def test_it_refuses_too_many_files_and_too_much_unpacked_data(settings):
    settings.SCORM_MAX_FILES = 3
    assert "too many files" in refusal(minimal_package(**{"a.txt": "a", "b.txt": "b"}))
    settings.SCORM_MAX_FILES = 100
    settings.SCORM_MAX_UNPACKED_BYTES = 2000
    assert "unpacks to more than" in refusal(minimal_package(**{"big.txt": "x" * 3000}))


def test_it_refuses_a_member_whose_checksum_does_not_match():
    data = bytearray(make_zip({"imsmanifest.xml": _manifest(), "index.html": "安全生产" * 500}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("index.html")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 5] ^= 0xFF  # damage the compressed bytes of index.html
    assert "corrupt" in refusal(bytes(data))


def test_a_windows_zip_with_backslash_separators_is_accepted():
    info = validated(
        make_zip({"imsmanifest.xml": _manifest(href="pages/index.html"), "pages\\index.html": "x"})
    )
    assert info.launch == "pages/index.html"


# --- import -----------------------------------------------------------------------------------


def test_import_unpacks_the_package_to_storage_and_records_it(media):
    _, lesson = scorm_course(GOLF_12.read_bytes(), name="golf12.zip")

    package = package_import(lesson=lesson)

    prefix = f"scorm/{lesson.pk}/79d0aac544aa"
    assert package.lesson == lesson
    assert (package.version, package.launch, package.storage_prefix) == (
        "1.2",
        "shared/launchpage.html",
        prefix,
    )
    assert package.sha256.startswith("79d0aac544aa")
    assert package.file_count == 44
    assert package.total_size == sum(f.stat().st_size for f in (media / prefix).rglob("*") if f.is_file())
    assert default_storage.exists(f"{prefix}/shared/launchpage.html")
    assert default_storage.exists(f"{prefix}/Etiquette/course.jpg")
    assert lesson.scorm_package == package


def test_reimporting_the_same_zip_changes_nothing(media, django_assert_max_num_queries):
    _, lesson = scorm_course(minimal_package())
    first = package_import(lesson=lesson)
    index = media / first.storage_prefix / "index.html"
    written = index.stat().st_mtime_ns

    # the package of the lesson; nothing is written
    with django_assert_max_num_queries(1):
        again = package_import(lesson=lesson)

    assert again.pk == first.pk and again.imported_at == first.imported_at
    assert index.stat().st_mtime_ns == written
    assert ScormPackage.objects.count() == 1


def test_a_new_zip_replaces_the_package_and_its_old_folder(media, django_capture_on_commit_callbacks):
    _, lesson = scorm_course(minimal_package())
    old = package_import(lesson=lesson)
    lesson.media.save("golf.zip", ContentFile(GOLF_12.read_bytes()))

    with django_capture_on_commit_callbacks(execute=True):
        new = package_import(lesson=lesson)

    assert new.pk == old.pk and new.version == "1.2" and new.launch == "shared/launchpage.html"
    assert new.storage_prefix != old.storage_prefix
    assert not default_storage.exists(f"{old.storage_prefix}/index.html")
    assert default_storage.exists(f"{new.storage_prefix}/shared/launchpage.html")


def test_publishing_a_course_imports_its_scorm_lessons(django_capture_on_commit_callbacks):
    course, lesson = scorm_course(GOLF_2004.read_bytes())
    assert not ScormPackage.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        course.save_revision().publish()

    package = ScormPackage.objects.get(lesson=lesson)
    assert package.version == "2004"
    assert default_storage.exists(package.storage_name("shared/launchpage.html"))


def test_a_lesson_that_is_not_scorm_is_not_imported():
    course = make_course(lessons=1)
    with pytest.raises(ValidationError):
        package_import(lesson=course.lessons.get())


# --- the player and the package's files -------------------------------------------------------


@pytest.fixture
def imported(learner, settings):
    """An imported SCORM 1.2 lesson in a course the learner is enrolled in; package files served
    from this site, in an opaque sandbox (no SCORM_CONTENT_ORIGIN)."""
    settings.SCORM_CONTENT_ORIGIN = ""
    course, lesson = scorm_course(minimal_package(**{"js/app.js": "var x = 1;", "img/a.png": b"\x89PNG"}))
    package_import(lesson=lesson)
    enroll(learner, course)
    lesson.refresh_from_db()
    return lesson


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


# --- runtime data API -------------------------------------------------------------------------


def runtime_url(lesson) -> str:
    return f"/api/v1/scorm/lessons/{lesson.pk}/"


CMI_COMPLETED = {
    "core": {
        "lesson_status": "completed",
        "lesson_location": "page-3",
        "score": {"raw": "85", "min": "0", "max": "100"},
        "exit": "suspend",
    },
    "suspend_data": "viewed=1,2,3",
}


def test_anonymous_callers_get_a_401(api, imported):
    assert api.get(runtime_url(imported)).status_code == 401
    assert api.put(runtime_url(imported), {"cmi": CMI_COMPLETED}, format="json").status_code == 401
    assert not ScormAttempt.objects.exists()


def test_learners_not_enrolled_and_users_without_a_learner_profile_get_a_403(imported, other_learner):
    for user in (other_learner.user, UserFactory(username="clerk", is_staff=True)):
        client = client_for(user)
        response = client.put(runtime_url(imported), {"cmi": CMI_COMPLETED}, format="json")
        assert response.status_code == 403 and response.json()["detail"]
        assert client.get(runtime_url(imported)).status_code == 403
    assert not ScormAttempt.objects.exists()


def test_a_lesson_that_is_not_scorm_or_not_imported_is_a_404(learner_api, learner):
    course = make_course(lessons=2)
    enroll(learner, course)
    video, pending = course.lessons.order_by("sort_order")
    pending.kind = LessonKind.SCORM
    pending.save()
    for lesson_id in (video.pk, pending.pk, 999999):
        response = learner_api.get(f"/api/v1/scorm/lessons/{lesson_id}/")
        assert response.status_code == 404 and response.json()["detail"]


def test_before_any_commit_the_state_is_empty(learner_api, imported):
    body = learner_api.get(runtime_url(imported)).json()
    assert body == {
        "lesson": imported.pk,
        "version": "1.2",
        "cmi": {},
        "lesson_status": "",
        "completion_status": "",
        "success_status": "",
        "score": None,
        "suspend_data": "",
        "completed": False,
        "completed_at": None,
        "last_channel": "",
        "updated_at": None,
    }


def test_a_learner_saves_cmi_and_reads_it_back(learner_api, learner, imported):
    saved = learner_api.put(runtime_url(imported), {"cmi": CMI_COMPLETED}, format="json")
    assert saved.status_code == 200

    body = learner_api.get(runtime_url(imported)).json()
    assert body["cmi"] == CMI_COMPLETED
    assert body["lesson_status"] == "completed"
    assert body["score"] == {"raw": 85.0, "min": 0.0, "max": 100.0, "scaled": None}
    assert body["suspend_data"] == "viewed=1,2,3"
    assert body["completed"] is True and body["last_channel"] == "pc"
    attempt = ScormAttempt.objects.get(learner=learner, lesson=imported)
    assert (attempt.lesson_status, attempt.score_raw) == ("completed", 85.0)


def test_another_learner_cannot_read_my_data(learner_api, imported, django_assert_max_num_queries):
    learner_api.put(runtime_url(imported), {"cmi": CMI_COMPLETED}, format="json")
    other = LearnerFactory()
    enroll(other, imported.course)
    theirs = client_for(other.user)

    # token with user, their learner, the lesson with its package, the enrolment, their attempt
    with django_assert_max_num_queries(5):
        body = theirs.get(runtime_url(imported)).json()

    assert body["cmi"] == {} and body["completed"] is False
    assert ScormAttempt.objects.count() == 1


def test_completion_reaches_lesson_progress_exactly_once(learner_api, learner, imported):
    incomplete = {"core": {"lesson_status": "incomplete"}}
    learner_api.put(runtime_url(imported), {"cmi": incomplete}, format="json")
    assert not LessonProgress.objects.filter(learner=learner, completed_at__isnull=False).exists()

    learner_api.put(runtime_url(imported), {"cmi": CMI_COMPLETED, "channel": "app"}, format="json")
    progress = LessonProgress.objects.get(learner=learner, lesson=imported)
    first = progress.completed_at
    assert first is not None and progress.last_channel == "app"

    learner_api.put(runtime_url(imported), {"cmi": {"core": {"lesson_status": "passed"}}}, format="json")
    learner_api.put(runtime_url(imported), {"cmi": incomplete}, format="json")
    progress.refresh_from_db()
    assert progress.completed_at == first
    assert LessonProgress.objects.filter(learner=learner, lesson=imported).count() == 1
    assert ScormAttempt.objects.get(learner=learner).completed_at == first


@pytest.mark.parametrize(
    ("cmi", "completes"),
    [
        ({"completion_status": "completed", "success_status": "unknown"}, True),
        ({"completion_status": "incomplete", "success_status": "passed"}, True),
        ({"completion_status": "incomplete", "success_status": "failed"}, False),
        ({"completion_status": "completed", "success_status": "failed", "score": {"scaled": "0.4"}}, True),
    ],
)
def test_scorm_2004_completes_on_completed_or_passed(learner_api, learner, cmi, completes):
    course, lesson = scorm_course(GOLF_2004.read_bytes())
    package_import(lesson=lesson)
    enroll(learner, course)

    response = learner_api.put(runtime_url(lesson), {"cmi": cmi}, format="json")

    assert response.status_code == 200
    assert response.json()["completion_status"] == cmi["completion_status"]
    done = LessonProgress.objects.filter(learner=learner, lesson=lesson, completed_at__isnull=False).exists()
    assert done is completes


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        {"cmi": "completed"},
        {"cmi": {"core": {"lesson_status": "finished"}}},
        {"cmi": {"core": {"score": {"raw": "eighty"}}}},
        {"cmi": {"core": "x"}},
        {"cmi": {"suspend_data": "x" * 64001}},
        {"cmi": {"suspend_data": 12}},
        {"cmi": {"core": {"lesson_status": "completed"}}, "channel": "fax"},
    ],
)
def test_bad_commits_are_a_400_with_a_detail_and_save_nothing(learner_api, learner, imported, body):
    response = learner_api.put(runtime_url(imported), body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not ScormAttempt.objects.exists()
    assert not LessonProgress.objects.filter(learner=learner).exists()


def test_malformed_or_oversized_bodies_are_refused_without_a_500(learner_api, imported, settings):
    url = runtime_url(imported)
    nested = '{"cmi": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    for raw in ("{not json", nested, '{"cmi": {"core": {"score": {"raw": NaN}}}}'):
        response = learner_api.generic("PUT", url, raw, content_type="application/json")
        assert response.status_code == 400 and response.json()["detail"]
    settings.SCORM_MAX_COMMIT_BYTES = 1000
    response = learner_api.put(url, {"cmi": {"suspend_data": "x" * 2000}}, format="json")
    assert response.status_code == 413 and response.json()["detail"]
    assert not ScormAttempt.objects.exists()


def test_session_commits_need_the_csrf_header(learner, imported):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner.user)
    page = browser.get(f"/scorm/lessons/{imported.pk}/launch/")
    token = page.cookies["csrftoken"].value
    body = json.dumps({"cmi": CMI_COMPLETED})

    refused = browser.put(runtime_url(imported), body, content_type="application/json")
    accepted = browser.put(
        runtime_url(imported), body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200 and accepted.json()["completed"] is True


def test_post_is_accepted_like_put_and_total_time_is_kept_between_commits(learner_api, imported):
    final = {"core": {"lesson_status": "incomplete", "total_time": "00:05:00"}}
    assert learner_api.post(runtime_url(imported), {"cmi": final}, format="json").status_code == 200
    learner_api.put(runtime_url(imported), {"cmi": {"core": {"lesson_status": "incomplete"}}}, format="json")
    assert ScormAttempt.objects.get().cmi["core"]["total_time"] == "00:05:00"


# --- demo -------------------------------------------------------------------------------------


def test_seed_scorm_adds_the_two_demo_lessons_once(django_capture_on_commit_callbacks):
    from scorm.demo import DEMO_PACKAGES, seed_scorm

    course = make_course(lessons=2)
    with django_capture_on_commit_callbacks(execute=True):
        packages = seed_scorm(course)
        again = seed_scorm(course)

    assert [p.version for p in packages] == ["1.2", "2004"]
    assert [p.title for p in packages] == ["老年人跌倒预防与应对", "协助老年人进食与饮水"]
    assert [p.pk for p in again] == [p.pk for p in packages]
    course.refresh_from_db()
    assert course.lessons.count() == 4
    scorm = course.lessons.filter(kind=LessonKind.SCORM).order_by("sort_order")
    assert [(lesson.title, lesson.required, lesson.duration) for lesson in scorm] == [
        (spec.title, False, 300) for spec in DEMO_PACKAGES
    ]
    assert course.live and not course.has_unpublished_changes


@pytest.mark.parametrize("source", ["fall-prevention-scorm12", "feeding-scorm2004"])
def test_the_demo_packages_build_reproducibly_from_their_sources_and_validate(source):
    from scorm.demo import package_files, package_zip

    data = package_zip(source)
    assert package_zip(source) == data  # same sources, same bytes, same SHA-256
    assert len(data) < 32 * 1024
    info = validated(data)
    assert info.version == ("1.2" if source.endswith("12") else "2004")
    assert info.launch == "index.html"
    assert info.identifier.startswith("cn.zibo-skills.demo.")
    if info.version == "1.2":
        assert info.mastery_score == "60"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        manifest = archive.read("imsmanifest.xml").decode()
        pages = [archive.read(f"pages/{n}.html").decode() for n in range(1, 6)]
    assert names == set(package_files(source))
    listed = set(re.findall(r'<file href="([^"]+)"', manifest))
    assert listed == names - {"imsmanifest.xml", "SOURCE.txt"}, "the manifest lists every file"
    assert "CC0" in package_files(source)["SOURCE.txt"].decode()
    for page in pages:  # plain Chinese HTML for a phone, nothing fetched from elsewhere
        assert 'lang="zh-CN"' in page and 'name="viewport"' in page
        assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert pages[-1].count("<fieldset data-answer=") == 3


def test_seed_scorm_replaces_the_golf_lessons_of_an_earlier_demo_unless_studied(
    media, django_capture_on_commit_callbacks
):
    from scorm.demo import DEMO_PACKAGES, RETIRED_TITLES, seed_scorm

    studied_course, unstudied_course = make_course(lessons=1), make_course(lessons=1)
    learner = LearnerFactory()
    old = {}
    for course in (studied_course, unstudied_course):  # what the earlier seed made
        for position, (title, zip_path) in enumerate(zip(RETIRED_TITLES, (GOLF_12, GOLF_2004), strict=True)):
            stored = default_storage.save(
                f"lessons/demo/scorm/{zip_path.name}", ContentFile(zip_path.read_bytes())
            )
            course.lessons.add(
                Lesson(
                    title=title, kind=LessonKind.SCORM, media=stored, required=False, sort_order=2 + position
                )
            )
        course.save_revision().publish()
        for lesson in Lesson.objects.filter(course=course, kind=LessonKind.SCORM):
            old[lesson.pk] = package_import(lesson=lesson)
    studied = Lesson.objects.get(course=studied_course, title=RETIRED_TITLES[0])
    ScormAttempt.objects.create(learner=learner, lesson=studied, version="1.2")

    with django_capture_on_commit_callbacks(execute=True):
        seed_scorm(unstudied_course)
        seed_scorm(studied_course)

    new_titles = [spec.title for spec in DEMO_PACKAGES]
    scorm_titles = Lesson.objects.filter(course=unstudied_course, kind=LessonKind.SCORM).order_by(
        "sort_order"
    )
    assert list(scorm_titles.values_list("title", flat=True)) == new_titles
    removed = [pk for pk, package in old.items() if package.lesson.course_id == unstudied_course.pk]
    assert not ScormPackage.objects.filter(lesson_id__in=removed).exists()
    for pk in removed:
        assert not default_storage.exists(f"{old[pk].storage_prefix}/shared/launchpage.html")
    # The learner's record is kept: so is the lesson they studied (the other Golf lesson goes).
    titles = set(Lesson.objects.filter(course=studied_course).values_list("title", flat=True))
    assert RETIRED_TITLES[0] in titles and RETIRED_TITLES[1] not in titles
    assert set(new_titles) <= titles
    assert ScormAttempt.objects.filter(lesson=studied).exists()
    assert studied_course.live and not CoursePage.objects.get(pk=studied_course.pk).has_unpublished_changes
