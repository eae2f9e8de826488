"""Each demo persona in Chromium, on a desktop (1366×768) and a 390 px phone in WeChat's browser
(tests/e2e.py): log in, land on the role's home, reach every tool from links only (the header's
tools clicked one by one, then every link followed up to three steps deep from the home), no link leads
to a 403 or any error, no page scrolls sideways, axe-core finds no serious or critical violation
on the homes and the error pages; a screenshot of each home in
test-artifacts/home-<persona>-<device>.png, and of the 403 and 404 pages (error-<code>-<device>.png)."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command

from tests.e2e import ARTIFACTS, CHROMIUM, DESKTOP, PHONE
from tests.test_accessibility import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# demo/seed.py and institutions/demo.py: (username, password, home, tools that must be reachable
# by links from the home: path patterns).
PERSONAS = {
    "learner": (
        "demo",
        "demo12345",
        "/me/learning/",
        [r"/me/learning/", r"/me/archive/", r"/me/profile/", r"/certificates/[\w-]+/", r"/courses/[\w-]+/"],
    ),
    "institution": (
        "institution",
        "institution12345",
        "/institution/classes/",
        [
            r"/institution/classes/",
            r"/institution/classes/new/",
            r"/institution/classes/\d+/",
            r"/institution/classes/\d+/edit/",
            r"/institution/classes/\d+/members/add/",
            r"/institution/rosters/classes/\d+/dashboard/",
            r"/institution/rosters/classes/\d+/dashboard\.xlsx",
            r"/institution/rosters/classes/\d+/import/",
        ],
    ),
    "hr": (
        "hr",
        "hr12345",
        "/enterprise/employees/",
        [r"/enterprise/employees/", r"/enterprise/employees/\d+/"],
    ),
    "district": (
        "zhangdian",
        "zhangdian12345",
        "/overview/",
        [
            r"/overview/",
            r"/institution/classes/",
            r"/institution/classes/\d+/",
            r"/institution/rosters/classes/\d+/dashboard/",
        ],
    ),
    "bureau": (
        "bureau",
        "bureau12345",
        "/overview/",
        [
            r"/overview/",
            r"/institution/classes/",
            r"/institution/classes/\d+/",
            r"/admin/",
            r"/django-admin/",
        ],
    ),
    "editor": ("editor", "editor12345", "/admin/", [r"/admin/"]),
    "reviewer": ("reviewer", "reviewer12345", "/admin/", [r"/admin/"]),
    "auditor": (
        "auditor",
        "auditor12345",
        "/audit/",
        [
            r"/audit/",
            r"/audit/\?log=events",
            r"/overview/",
            r"/institution/classes/",
            r"/institution/classes/\d+/",
        ],
    ),
}
# Not fetched: leaving (logout, language), the admins' own screens (their home is fetched),
# files and the API. Fetched but not followed: the public pages (courses, catalogs, search and
# certificates have tests of their own); the crawl explores the roles' own pages.
SKIP = re.compile(
    r"^/(accounts/logout|i18n|static|media|documents|admin/.|django-admin/.|api/|sw\.js|manifest)"
)
FOLLOWED = re.compile(r"^/(me|institution|enterprise|overview|audit)/")
CRAWL_LIMIT = 80


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links_of(html: str, base: str, origin: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        url = urljoin(base, href.split("#")[0])
        parts = urlsplit(url)
        if url and f"{parts.scheme}://{parts.netloc}" == origin:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if not SKIP.match(path):
                found.append(path)
    return found


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def log_in(page, origin, username, password):
    page.goto(f"{origin}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()


def crawl(page, origin, start: str) -> dict[str, int]:
    """Every link up to three steps from ``start``, fetched with the user's session: path → status."""
    seen: dict[str, int] = {}
    frontier = [start]
    for _depth in range(4):
        following = []
        for path in frontier:
            if path in seen or len(seen) >= CRAWL_LIMIT:
                continue
            response = page.request.get(f"{origin}{path}", max_redirects=5)
            seen[path] = response.status
            html = "text/html" in response.headers.get("content-type", "")
            if response.ok and html and FOLLOWED.match(path):
                following += links_of(response.text(), f"{origin}{path}", origin)
        frontier = following
    return seen


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_each_role_finds_its_home_and_tools_by_links(browser, live_server, settings, device):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False  # error pages as in production (a 404 is the friendly one)
    origin = live_server.url
    name = "desktop" if device is DESKTOP else "phone"
    problems = {}
    for persona, (username, password, home, tools) in PERSONAS.items():
        page = browser(device)
        log_in(page, origin, username, password)
        found = []
        if urlsplit(page.url).path != home:
            found.append(f"landed on {page.url}, not {home}")
        page.screenshot(path=str(ARTIFACTS / f"home-{persona}-{name}.png"), full_page=True)
        ours = not home.startswith("/admin/")
        if ours:
            found += serious_violations(page)
            if not no_sideways_scroll(page):
                found.append(f"{home} scrolls sideways")
        # The header's tools, clicked one by one: each opens (no 403) and fits the screen.
        start = home if ours else "/search/"  # the admins' homes have their own menus
        page.goto(f"{origin}{start}")
        count = page.locator(".site-nav a").count()
        for index in range(count):
            link = page.locator(".site-nav a").nth(index)
            target = link.get_attribute("href")
            with page.expect_navigation() as navigation:
                link.click()
            status = navigation.value.status
            if status >= 400:
                found.append(f"header link {target} answered {status}")
            elif not target.startswith(("/admin/", "/django-admin/")) and not no_sideways_scroll(page):
                found.append(f"{target} scrolls sideways")
            page.goto(f"{origin}{start}")
        # Every link up to three steps from the home answers without error, and the role's tools are among them.
        reached = crawl(page, origin, home)
        found += [f"{path} answered {status}" for path, status in reached.items() if status >= 400]
        for pattern in tools:
            if not any(re.fullmatch(pattern, path) for path in reached):
                found.append(f"no link leads to {pattern}")
        if persona == "learner":  # the friendly error pages, as a learner meets them
            for code, path in (("403", "/overview/"), ("404", "/no-such-page/")):
                response = page.goto(f"{origin}{path}")
                if response.status != int(code) or not page.locator(".error-page .weui-btn_primary").count():
                    found.append(f"{path}: not the friendly {code} page")
                found += serious_violations(page)
                if not no_sideways_scroll(page):
                    found.append(f"{path} scrolls sideways")
                page.screenshot(path=str(ARTIFACTS / f"error-{code}-{name}.png"), full_page=True)
        if found:
            problems[persona] = found
    assert problems == {}
