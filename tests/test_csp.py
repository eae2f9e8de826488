# ruff: noqa: F811  (the fixtures media and imported come from tests.scorm_factories)
"""The Content-Security-Policy (config/csp.py; docs/security.md, "Content-Security-Policy"):
every kind of page sends one; the platform's pages allow scripts and styles only from this site
or with the response's nonce, which changes per response and is the one the inline code carries;
no page a role opens has an inline script, handler or style attribute the policy would block;
the areas that need their own policy (Wagtail's admin, the API docs, the SCORM package files)
have it. In Chromium (marker ``browser``): the player and the report's charts work under the
policy with no violation in the console."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.views.defaults import server_error

from config.csp import AreaCSPMiddleware, media_origins, scorm_frame_sources
from reports.demo import seed_reports_demo
from tests.e2e import CHROMIUM, WECHAT_UA, wait_until
from tests.factories import UserFactory, enroll, make_course
from tests.institutions_factories import browser as browser_as
from tests.institutions_factories import make_world
from tests.scorm_factories import imported, media  # noqa: F401  (fixtures)
from tests.test_reports_browser import signed_in_page

pytestmark = pytest.mark.django_db

HEADER = "Content-Security-Policy"


def policy(response) -> dict[str, list[str]]:
    """The response's policy as {directive: [sources]}."""
    assert HEADER in response, f"no {HEADER} on {response.wsgi_request.path}"
    directives = {}
    for part in response[HEADER].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def nonce_of(response) -> str | None:
    found = re.search(r"'nonce-([^']+)'", response[HEADER])
    return found.group(1) if found else None


class InlineCode(HTMLParser):
    """What a page runs or styles inline: scripts without src (data blocks aside), <style>, on*=
    handlers and style="" attributes."""

    DATA_TYPES = {"application/json", "application/ld+json", "text/template"}

    def __init__(self):
        super().__init__()
        self.scripts, self.styles, self.handlers, self.style_attributes = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and attributes.get("type") not in self.DATA_TYPES:
            self.scripts.append(attributes)
        if tag == "style":
            self.styles.append(attributes)
        self.handlers += [f"<{tag} {name}>" for name, _value in attrs if name.startswith("on")]
        if "style" in attributes:
            self.style_attributes.append(f"<{tag} style={attributes['style']!r}>")


def inline_code(response) -> InlineCode:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser


def assert_nothing_blocked(response):
    """Every inline script and style carries this response's nonce; no handler, no style
    attribute (the platform's policy would block them)."""
    code, nonce = inline_code(response), nonce_of(response)
    path = response.wsgi_request.path
    for element in code.scripts + code.styles:
        assert nonce and element.get("nonce") == nonce, f"inline code without the nonce on {path}"
    assert not code.handlers, f"inline handlers on {path}: {code.handlers}"
    assert not code.style_attributes, f"style attributes on {path}: {code.style_attributes}"


def assert_platform_policy(response):
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    for kind in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[kind] and "'unsafe-eval'" not in directives[kind]
        assert directives[kind][0] == "'self'"
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "ws://testserver" in directives["connect-src"]  # the live progress socket
    return directives


# --- every kind of page -------------------------------------------------------------------------


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def lesson_page(world):
    course = make_course(lessons=1, duration=60)
    enroll(world.learner_a, course)
    lesson = course.lessons.get()
    return course, f"{course.url}lessons/{lesson.pk}/"


def test_home_login_a_learner_page_and_the_player_send_the_platforms_policy(world, lesson_page):
    course, player = lesson_page
    anonymous = Client()
    learner = browser_as(world, "learner_a")
    for client, path in [
        (anonymous, "/"),
        (anonymous, "/accounts/login/"),
        (anonymous, course.url),
        (learner, "/me/learning/"),
        (learner, player),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_platform_policy(response)
        assert_nothing_blocked(response)


def test_a_report_page_sends_the_policy_and_loads_chart_js_from_this_site(world):
    response = browser_as(world, "bureau").get("/reports/")
    assert response.status_code == 200
    assert_platform_policy(response)
    assert_nothing_blocked(response)
    html = response.content.decode()
    assert re.search(r'<script src="/static/vendor/chartjs/chart\.umd[^"]*\.js"', html)


def test_a_wechat_h5_page_sends_the_policy(world, wechat, lesson_page):
    course, _player = lesson_page
    response = Client(HTTP_USER_AGENT=WECHAT_UA).get(course.url)
    assert "wechat-share" in response.content.decode()  # the page as WeChat's browser gets it
    assert_platform_policy(response)
    assert_nothing_blocked(response)
    login = Client(HTTP_USER_AGENT=WECHAT_UA).get("/accounts/login/")
    assert_platform_policy(login)


def test_the_scorm_player_may_frame_the_package_and_its_files_keep_their_sandbox(client, learner, imported):
    client.force_login(learner.user)
    launch = client.get(f"/scorm/lessons/{imported.pk}/launch/")
    assert launch.status_code == 200
    directives = assert_platform_policy(launch)
    assert "'self'" in directives["frame-src"]  # the opaque sandbox on this site
    assert_nothing_blocked(launch)
    assert inline_code(launch).styles, "the player's own style, with the nonce"

    url = re.search(r'"launchUrl": "([^"]+)"', launch.content.decode()).group(1)
    package_page = Client().get(url.replace("http://testserver", ""))
    assert package_page.status_code == 200
    # The package file's own policy, not the platform's: sandboxed, its scripts its own.
    assert package_page[HEADER].startswith("sandbox allow-scripts")
    assert "nonce" not in package_page[HEADER]


def test_the_scorm_content_origin_is_a_frame_source(settings):
    assert scorm_frame_sources("https://scorm.zibo.example") == ["https://scorm.zibo.example"]
    assert scorm_frame_sources("https://{lesson}.scorm.zibo.example") == ["https://*.scorm.zibo.example"]
    assert scorm_frame_sources("") == []


def test_media_on_s3_is_allowed_for_images_videos_and_documents():
    assert media_origins(bucket="zbjn", custom_domain="media.zibo.example") == ["https://media.zibo.example"]
    assert media_origins(bucket="zbjn", endpoint_url="http://127.0.0.1:9000") == ["http://127.0.0.1:9000"]
    assert media_origins(media_url="/media/") == []


def test_the_wagtail_admin_has_its_own_relaxed_policy_still_a_header(db):
    editor = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(editor)
    response = client.get("/admin/")
    assert response.status_code == 200
    directives = policy(response)
    # Wagtail's own templates have inline scripts and style attributes.
    assert directives["script-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["frame-ancestors"] == ["'self'"]  # its page previews
    assert directives["object-src"] == ["'none'"] and directives["default-src"] == ["'self'"]
    assert "nonce" not in response[HEADER]  # a nonce would switch 'unsafe-inline' off


def test_the_django_admin_runs_under_the_platforms_policy(db):
    response = Client().get("/django-admin/login/")
    assert response.status_code == 200
    assert_platform_policy(response)
    assert_nothing_blocked(response)


def test_the_api_docs_carry_the_nonce_on_swaggers_inline_code():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    directives = assert_platform_policy(response)
    assert "data:" in directives["img-src"]
    code = inline_code(response)
    assert code.scripts and code.styles
    assert_nothing_blocked(response)


def test_the_nonce_changes_with_every_response_and_is_the_one_on_the_page(client, learner, imported):
    client.force_login(learner.user)
    first = client.get(f"/scorm/lessons/{imported.pk}/launch/")
    second = client.get(f"/scorm/lessons/{imported.pk}/launch/")
    assert nonce_of(first) and nonce_of(second) and nonce_of(first) != nonce_of(second)
    assert f'nonce="{nonce_of(first)}"' in first.content.decode()
    assert nonce_of(first) not in second.content.decode()


def test_an_api_answer_and_the_health_check_send_the_header_too(db):
    for path in ("/api/v1/courses/", "/healthz"):
        assert HEADER in Client().get(path), path


def test_the_server_error_page_keeps_its_inline_style(settings, rf):
    settings.DEBUG = False
    request = rf.get("/somewhere/")
    middleware = AreaCSPMiddleware(lambda request: None)
    middleware.process_request(request)
    response = middleware.process_response(request, server_error(request))
    assert response.status_code == 500
    directives = policy(response)
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["script-src"] == ["'self'"]


# --- representative pages of each role: nothing the policy would block ------------------------


def role_pages(world, lesson_url) -> dict[str, list[str]]:
    class_a = world.class_a.pk
    return {
        "anonymous": [
            "/",
            "/accounts/login/",
            "/accounts/register/",
            "/accounts/password-reset/",
            "/courses/",
        ],
        "learner_a": [
            "/home/",
            "/me/learning/",
            "/me/profile/",
            "/me/archive/",
            "/subsidies/me/",
            lesson_url,
        ],
        "staff_a": [
            "/home/",
            "/institution/classes/",
            f"/institution/classes/{class_a}/",
            f"/subsidies/classes/{class_a}/",
            f"/institution/rosters/classes/{class_a}/dashboard/",
        ],
        "official": ["/home/", "/subsidies/claims/"],
        "bureau": ["/home/", "/reports/", "/reports/tasks/", "/subsidies/claims/"],
        "hr_a": ["/home/", "/enterprise/employees/"],
        "auditor": ["/home/", "/audit/"],
    }


@pytest.mark.parametrize(
    "persona", ["anonymous", "learner_a", "staff_a", "official", "bureau", "hr_a", "auditor"]
)
def test_no_page_a_role_opens_has_inline_code_the_policy_would_block(world, lesson_page, persona):
    client = browser_as(world, persona)
    for path in role_pages(world, lesson_page[1])[persona]:
        response = client.get(path)
        if response.status_code in (301, 302):
            continue  # a page that sends this role elsewhere renders nothing
        assert response.status_code == 200, (persona, path, response.status_code)
        assert_platform_policy(response)
        assert_nothing_blocked(response)


# --- in Chromium ----------------------------------------------------------------------------------


def violations_opening(page, url: str, ready: str) -> list[str]:
    """The console's CSP violations while ``url`` loads and until the JS ``ready`` holds."""
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(url)
    wait_until(page, ready)
    page.wait_for_timeout(500)
    return [text for text in messages if "Content Security Policy" in text]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_player_and_the_report_charts_run_with_no_violation(browser, live_server):
    world = make_world()
    course = make_course(lessons=1, duration=30)
    enroll(world.learner_a, course)
    lesson = course.lessons.get()
    lesson.media.name = "lessons/care-1.mp4"
    lesson.save()
    seed_reports_demo()

    page = signed_in_page(browser, live_server, world.learner_a.user)
    player = f"{live_server.url}{course.url}lessons/{lesson.pk}/"
    video_ready = "document.querySelector('#player') && document.querySelector('#player').readyState >= 1"
    assert violations_opening(page, player, video_ready) == []

    reports = signed_in_page(browser, live_server, world.bureau)
    charts_drawn = "window.reportCharts && window.reportCharts.districts && window.reportCharts.quarters"
    assert violations_opening(reports, f"{live_server.url}/reports/", charts_drawn) == []
