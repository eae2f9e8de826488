"""A SCORM package is editors' JavaScript: it must never act with the learner's session (issue 15,
item 9). The package runs in a sandboxed iframe (an opaque origin, or a separate content origin),
its files are reached through a signed, expiring link for one learner and one lesson, and its
commits go through that link (scorm/README.md, "Isolation").

Here: the sandbox on the frame and on every response; links that are tampered with, expired,
signed for something else, or for a learner no longer enrolled get no file and save nothing; an
unenrolled learner gets no link; the runtime's injection into package pages; and, in Chromium, a
hostile package that tries the learner's cookies, the platform's API and the player's page, and
gets nothing."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.core import signing
from django.test import Client

from scorm.models import ScormAttempt
from scorm.services import package_import
from scorm.views import TOKEN_SALT, content_token, html_with_runtime
from tests.e2e import wait_until
from tests.factories import enroll
from tests.scorm_factories import MANIFEST_12, make_zip, minimal_package, scorm_course
from tests.test_scorm_browser import (  # noqa: F401  (the browser fixtures, shared)
    CHROMIUM,
    chromium_page,
    enrolled_learner_in,
    log_in_and_launch,
    opaque,
    separate_origin,
)

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = "http://testserver"
OPAQUE_SANDBOX = "sandbox allow-scripts allow-forms allow-popups allow-downloads allow-modals"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SCORM_CONTENT_ORIGIN = ""
    return tmp_path


@pytest.fixture
def lesson(db, learner):
    """An imported SCORM 1.2 lesson the learner is enrolled in."""
    course, lesson = scorm_course(minimal_package(**{"img/a.png": b"\x89PNG-a"}))
    package_import(lesson=lesson)
    enroll(learner, course)
    lesson.refresh_from_db()
    return lesson


def link(lesson, learner, path="index.html", origin=PLATFORM) -> str:
    token = content_token(lesson_id=lesson.pk, learner_id=learner.pk, platform_origin=origin)
    return f"/scorm/content/{token}/{path}"


def commit_link(url: str) -> str:
    return "/scorm/commit/" + url.split("/")[3] + "/"


def read(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def refused_without_the_file(response, status=403):
    assert response.status_code == status
    body = read(response)
    assert b"LMSInitialize" not in body and b"PNG" not in body
    assert response["Content-Security-Policy"].startswith("sandbox ")
    assert not response.cookies


# --- the frame and the headers -------------------------------------------------------------


@pytest.mark.django_db
def test_the_player_frames_the_package_sandboxed_without_allow_same_origin(client, learner, lesson):
    client.force_login(learner.user)
    html = client.get(f"/scorm/lessons/{lesson.pk}/launch/").content.decode()
    frame = re.search(r'<iframe id="scorm-frame"[^>]*>', html).group(0)
    sandbox = re.search(r'sandbox="([^"]*)"', frame).group(1).split()
    assert "allow-scripts" in sandbox
    assert not {"allow-same-origin", "allow-top-navigation", "allow-popups-to-escape-sandbox"} & set(sandbox)


@pytest.mark.django_db
def test_every_package_response_is_sandboxed_unsniffed_unreferred_and_private(learner, lesson):
    frame = Client()  # no session: the frame has none
    url = link(lesson, learner)
    for response in (frame.get(url), frame.get(url.replace("index.html", "img/a.png"))):
        assert response.status_code == 200
        # Even opened on its own (a new tab), the page has an opaque origin.
        assert response["Content-Security-Policy"] == OPAQUE_SANDBOX
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "no-referrer"  # the link never leaks by Referer
        assert response["Cache-Control"].startswith("private")
        assert response["Access-Control-Allow-Origin"] == "*"  # no credentials: the link is one
        assert "X-Frame-Options" not in response
        assert not response.cookies and "Set-Cookie" not in response
    assert frame.get(url)["Cache-Control"] == "private, no-store"  # it carries the learner's data


@pytest.mark.django_db
def test_on_a_separate_content_origin_the_package_keeps_that_origin(client, learner, lesson, settings):
    settings.SCORM_CONTENT_ORIGIN = "https://l{lesson}.scorm-content.example"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, f"l{lesson.pk}.scorm-content.example"]
    client.force_login(learner.user)
    launch = client.get(f"/scorm/lessons/{lesson.pk}/launch/")
    config = launch.context["config"]
    origin = f"https://l{lesson.pk}.scorm-content.example"
    assert config["launchUrl"].startswith(origin + "/scorm/content/")
    assert config["contentOrigin"] == origin
    assert (
        'sandbox="allow-scripts allow-forms allow-popups allow-downloads allow-modals allow-same-origin"'
        in (launch.content.decode())
    )

    path = config["launchUrl"].removeprefix(origin)
    there = Client().get(path, HTTP_HOST=f"l{lesson.pk}.scorm-content.example", secure=True)
    assert there.status_code == 200
    assert there["Content-Security-Policy"] == (
        f"{OPAQUE_SANDBOX} allow-same-origin; frame-ancestors {PLATFORM} 'self'"
    )
    data = json.loads(re.search(rb"window\.__ZIBO_SCORM__=(\{.*?\});", read(there)).group(1))
    assert data["commitUrl"].startswith(origin + "/scorm/commit/")  # same origin as the package
    assert data["platformOrigin"] == PLATFORM

    # The same link opened on the platform's own host is sandboxed opaquely: allow-same-origin
    # is given only on the configured content origin, never because of what a link says.
    here = Client().get(path)
    assert here.status_code == 200 and here["Content-Security-Policy"] == OPAQUE_SANDBOX


# --- links that grant nothing ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_tampered_link_gets_no_file_and_saves_nothing(learner, lesson):
    url = link(lesson, learner)
    token = url.split("/")[3]
    payload, stamp, signature = token.split(":")
    frame = Client()

    other = signing.b64_encode(json.dumps({"l": lesson.pk + 1, "u": learner.pk, "o": PLATFORM}).encode())
    forged = ":".join([other.decode(), stamp, signature])
    refused_without_the_file(frame.get(url.replace(token, forged)))
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    refused_without_the_file(frame.get(url.replace(token, flipped)))
    refused_without_the_file(frame.get("/scorm/content/not-a-token/index.html"))

    body = json.dumps({"cmi": {"core": {"lesson_status": "passed"}}})
    assert (
        frame.post(commit_link(url.replace(token, forged)), body, content_type="text/plain").status_code
        == 403
    )
    assert not ScormAttempt.objects.exists()


@pytest.mark.django_db
def test_a_token_signed_for_something_else_gets_no_file(learner, lesson):
    payload = {"l": lesson.pk, "u": learner.pk, "o": PLATFORM}
    for token in (signing.dumps(payload), signing.dumps(payload, salt="another.purpose")):
        refused_without_the_file(Client().get(f"/scorm/content/{token}/index.html"))
    assert TOKEN_SALT  # the content salt is the only one the views accept


@pytest.mark.django_db
def test_an_expired_link_gets_no_file_and_saves_nothing(learner, lesson, settings):
    settings.SCORM_CONTENT_TOKEN_SECONDS = 3600
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 3601):
        url = link(lesson, learner)
    refused_without_the_file(Client().get(url))
    body = json.dumps({"cmi": {"core": {"lesson_status": "passed"}}})
    assert Client().post(commit_link(url), body, content_type="text/plain").status_code == 403
    assert not ScormAttempt.objects.exists()

    with mock.patch("django.core.signing.time.time", return_value=time.time() - 3500):
        assert Client().get(link(lesson, learner)).status_code == 200  # within its hour


@pytest.mark.django_db
def test_a_link_for_another_lesson_or_learner_gets_nothing_of_this_one(learner, lesson, other_learner):
    course_b, lesson_b = scorm_course(minimal_package(**{"only-in-b.html": "<p>B</p>"}))
    package_import(lesson=lesson_b)
    frame = Client()
    # A link names its lesson: nothing of another package can be reached through it.
    for path in ("only-in-b.html", "../only-in-b.html", f"../../{lesson_b.pk}/only-in-b.html"):
        assert frame.get(link(lesson, learner, path)).status_code == 404
    # A link for a lesson the learner is not enrolled in, or for a learner who is not enrolled.
    refused_without_the_file(frame.get(link(lesson_b, learner)))
    refused_without_the_file(frame.get(link(lesson, other_learner)))
    body = json.dumps({"cmi": {"core": {"lesson_status": "passed"}}})
    assert (
        frame.post(commit_link(link(lesson_b, learner)), body, content_type="text/plain").status_code == 403
    )
    assert (
        frame.post(commit_link(link(lesson, other_learner)), body, content_type="text/plain").status_code
        == 403
    )
    assert not ScormAttempt.objects.exists()


@pytest.mark.django_db
def test_a_link_stops_working_when_the_enrolment_ends_or_the_account_is_closed(learner, lesson):
    url = link(lesson, learner)
    assert Client().get(url).status_code == 200
    learner.user.is_active = False
    learner.user.save()
    refused_without_the_file(Client().get(url))
    learner.user.is_active = True
    learner.user.save()
    learner.enrollments.all().delete()
    refused_without_the_file(Client().get(url))


@pytest.mark.django_db
def test_package_files_and_commits_read_the_link_never_the_session(client, learner, lesson, other_learner):
    enroll(other_learner, lesson.course)
    client.force_login(other_learner.user)  # someone else's session goes with the request
    url = link(lesson, learner)
    data = json.loads(re.search(rb"window\.__ZIBO_SCORM__=(\{.*?\});", read(client.get(url))).group(1))
    assert data["cmi"]["core"]["student_name"] == learner.real_name
    body = json.dumps({"cmi": {"core": {"lesson_status": "incomplete"}}})
    assert client.post(commit_link(url), body, content_type="text/plain").status_code == 200
    assert ScormAttempt.objects.get().learner == learner


@pytest.mark.django_db
def test_a_learner_not_enrolled_gets_no_link(client, lesson, other_learner):
    client.force_login(other_learner.user)
    launch = client.get(f"/scorm/lessons/{lesson.pk}/launch/")
    assert launch.status_code == 403
    assert "/scorm/content/" not in launch.content.decode()
    old = client.get(f"/scorm/lessons/{lesson.pk}/content/index.html")
    assert old.status_code == 403 and "Location" not in old


# --- the runtime injected into package pages ---------------------------------------------------

SNIPPET = b"<script>RUNTIME</script>"


@pytest.mark.parametrize(
    "page, expected, charset",
    [
        (b"<!DOCTYPE html><html><head><meta charset=utf-8></head>", b"<head>" + SNIPPET, "utf-8"),
        (b'<HTML lang="zh"><HEAD id="h">x', b'<HEAD id="h">' + SNIPPET, None),
        (b"<!doctype html><html><body>no head", b"<html>" + SNIPPET, None),
        (b"<!doctype html><p>bare", b"<!doctype html>" + SNIPPET, None),
        (b"<p>fragment", SNIPPET + b"<p>", None),
        (b"<html><header>not a head</header>", b"<html>" + SNIPPET, None),
        (b"<html><body><script>'<head>'</script>", b"<html>" + SNIPPET + b"<body>", None),
        (
            b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=GB2312">',
            b"<head>" + SNIPPET,
            "gb2312",
        ),
        (b"<head><meta charset='no-such-charset'>", b"<head>" + SNIPPET, None),
        (b"\xef\xbb\xbf<html><head>", b"\xef\xbb\xbf<html><head>" + SNIPPET, "utf-8"),
    ],
)
def test_the_runtime_goes_first_in_the_head_and_the_pages_charset_is_kept(page, expected, charset):
    injected, found = html_with_runtime(page, SNIPPET)
    assert expected in injected and injected.count(SNIPPET) == 1
    assert injected.replace(SNIPPET, b"") == page
    assert found == charset


def test_a_utf16_page_is_served_as_it_is():
    page = "<html><head>".encode("utf-16")
    assert html_with_runtime(page, SNIPPET) == (page, None)


@pytest.mark.django_db
def test_the_learners_data_cannot_break_out_of_the_injected_script(learner, lesson):
    ScormAttempt.objects.create(
        learner=learner,
        lesson=lesson,
        version="1.2",
        cmi={"suspend_data": "</script><script>alert(1)</script>&<!--", "core": {}},
    )
    html = read(Client().get(link(lesson, learner))).decode()
    injected = html[: html.index("scorm-again")]
    assert "</script><script>alert" not in injected and "<!--" not in injected
    data = json.loads(re.search(r"window\.__ZIBO_SCORM__=(\{.*?\});", html).group(1))
    assert data["cmi"]["suspend_data"] == "</script><script>alert(1)</script>&<!--"


def test_a_content_origin_that_is_not_an_origin_stops_the_start():
    for value in ("scorm.example", "https://scorm.example/path", "https://user@scorm.example", "https://"):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SCORM_"))
        }
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"],
            cwd=ROOT,
            env={
                **env,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DJANGO_DEBUG": "1",
                "SCORM_CONTENT_ORIGIN": value,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0 and "SCORM_CONTENT_ORIGIN must be" in result.stderr, value


# --- a hostile package, in Chromium ------------------------------------------------------------

# Tries what a package's author might: the learner's cookies and storage, the player's page, the
# platform's API with the learner's session (reading their profile; saving a "passed" for
# another lesson), and taking the learner's page elsewhere. Reports to the player by postMessage.
HOSTILE_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>恶意课件</title></head>
<body><p id="out">running</p>
<script>
(async function () {
  var report = {};
  function threw(e) { return "threw " + (e && e.name); }
  var platform = window.__ZIBO_SCORM__ ? window.__ZIBO_SCORM__.platformOrigin : "";
  try { report.cookie = document.cookie; } catch (e) { report.cookie = threw(e); }
  try { report.storage = Object.keys(window.localStorage).join(","); } catch (e) { report.storage = threw(e); }
  try { report.topDocument = String(window.top.document.cookie); } catch (e) { report.topDocument = threw(e); }
  try { report.topPlayer = String(window.top.scormRuntime); } catch (e) { report.topPlayer = threw(e); }
  try {
    var doc = parent.document;
    report.parentDocument = doc ? String(doc.cookie) : String(doc);
  } catch (e) { report.parentDocument = threw(e); }
  try { report.topLocation = String(window.top.location.href); } catch (e) { report.topLocation = threw(e); }
  async function attempt(url, options) {
    try {
      var response = await fetch(url, options);
      var text = "";
      try { text = await response.text(); } catch (e) { text = ""; }
      return response.type + " " + response.status + " " + text.slice(0, 300);
    } catch (e) { return threw(e); }
  }
  report.meHere = await attempt("/api/v1/me/", { credentials: "include" });
  report.mePlatform = await attempt(platform + "/api/v1/me/", { credentials: "include" });
  report.meBlind = await attempt(platform + "/api/v1/me/", { credentials: "include", mode: "no-cors" });
  report.write = await attempt(platform + "/api/v1/scorm/lessons/OTHER_LESSON/", {
    method: "POST", credentials: "include", mode: "no-cors",
    headers: { "Content-Type": "text/plain" },
    body: JSON.stringify({ cmi: { core: { lesson_status: "passed" } } })
  });
  try { window.top.location.href = platform + "/?hijacked=1"; report.navigateTop = "no error"; }
  catch (e) { report.navigateTop = threw(e); }
  document.getElementById("out").textContent = "done";
  window.top.postMessage({ hostile: report }, "*");
})();
</script></body></html>
"""

COLLECT_REPORTS = """
if (window === window.top) {
  window.__hostile = [];
  window.addEventListener("message", function (event) {
    if (event.data && event.data.hostile) window.__hostile.push(event.data.hostile);
  });
}
"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("mode", ["opaque", "separate_origin"])
def test_a_hostile_package_gets_nothing_of_the_learners_session(
    chromium_page,  # noqa: F811  (the fixture imported above)
    live_server,
    mode,
    request,
):
    request.getfixturevalue(mode)
    page = chromium_page
    course, other = scorm_course(minimal_package(), lessons=2)
    package_import(lesson=other)
    hostile_zip = make_zip(
        {
            "imsmanifest.xml": MANIFEST_12.format(href="index.html"),
            "index.html": HOSTILE_HTML.replace("OTHER_LESSON", str(other.pk)),
        }
    )
    hostile_course, hostile = scorm_course(hostile_zip, name="hostile.zip")
    package_import(lesson=hostile)
    learner = enrolled_learner_in(course)
    enroll(learner, hostile_course)
    page.add_init_script(COLLECT_REPORTS)
    requests = []
    page.on("request", lambda sent: requests.append(sent) if sent.frame != page.main_frame else None)

    log_in_and_launch(page, live_server, learner, hostile)
    frame = page.frame_locator("#scorm-frame")
    frame.locator("#out").filter(has_text="done").wait_for()
    wait_until(page, "window.__hostile && window.__hostile.length > 0")
    report = page.evaluate("window.__hostile[0]")
    page.wait_for_timeout(300)

    sandbox = page.get_attribute("#scorm-frame", "sandbox").split()
    assert ("allow-same-origin" in sandbox) == (mode == "separate_origin")
    session = page.context.cookies(live_server.url)
    assert {"sessionid", "csrftoken"} <= {cookie["name"] for cookie in session}
    secrets = [cookie["value"] for cookie in session]

    # No cookie, no storage of the platform's origin.
    if mode == "opaque":
        assert report["cookie"] == "threw SecurityError"
        assert report["storage"] == "threw SecurityError"
    else:
        assert report["cookie"] == ""  # the content origin's own cookies: none
        assert report["storage"] in ("", "threw SecurityError")  # its own (or none, as a third party)
    # Nothing of the player's page.
    assert report["topDocument"] == "threw SecurityError"
    assert report["topPlayer"] == "threw SecurityError"
    assert report["topLocation"] == "threw SecurityError"
    # `parent` is frame.js's stand-in (it holds the API, passes postMessage on); the real parent
    # is window.top here, refused above.
    assert report["parentDocument"] in ("threw SecurityError", "undefined")
    # The platform's API: unreadable, and answered as to a stranger.
    assert report["mePlatform"] == "threw TypeError"  # CORS: an opaque failure
    assert report["meBlind"] == "opaque 0 "
    assert report["write"] == "opaque 0 "
    if mode == "opaque":
        assert report["meHere"] == "threw TypeError"  # the platform's origin, from "null"
    else:
        assert re.match(r"basic (401|403) ", report["meHere"])  # the content origin: no session
    for value in report.values():
        assert not any(secret in value for secret in secrets)
        assert learner.user.username not in value and learner.real_name not in value
    # The session cookie went with none of the package's requests (its files, the runtime, its
    # API calls). (The frame's own navigation, started by the player, may carry it: the content
    # view reads no cookie, the link is what counts.)
    api_calls = [sent for sent in requests if "/api/" in sent.url]
    assert len(api_calls) == 4, [sent.url for sent in requests]
    for sent in requests:
        if not sent.is_navigation_request():
            assert "sessionid" not in sent.all_headers().get("cookie", ""), sent.url
    # It could not take the learner's page elsewhere, nor save anything for another lesson.
    assert page.url == f"{live_server.url}/scorm/lessons/{hostile.pk}/launch/"
    assert report["navigateTop"] == "threw SecurityError"  # no allow-top-navigation
    assert not ScormAttempt.objects.filter(lesson=other).exists()
