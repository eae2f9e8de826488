"""统一报表 in a real browser on a 390 px phone (Chromium, tests/e2e.PHONE) against a live server:
the bureau opens /reports/ with the demo task table and a completion in 张店区; Chart.js (served
from /static/vendor/chartjs/) draws both charts at a size that fits the screen, the wide tables
scroll inside their own box and the page itself never scrolls sideways; axe-core finds no
serious or critical violation. Screenshot in test-artifacts/reports-phone.png."""

import pytest
from django.conf import settings
from django.test import Client

from reports.demo import seed_reports_demo
from tests.conftest import client_for
from tests.e2e import ARTIFACTS, CHROMIUM, PHONE, wait_until
from tests.factories import enroll, make_course
from tests.institutions_factories import make_world
from tests.progress_helpers import Player, send
from tests.test_accessibility import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def signed_in_page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    page = browser(PHONE)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def test_the_bureau_reads_the_report_and_its_charts_on_a_390px_phone(browser, live_server):
    world = make_world()
    seed_reports_demo()
    course = make_course(lessons=1, duration=30)
    enroll(world.learner_a, course)
    lesson = course.lessons.get()
    send(client_for(world.learner_a.user), Player(lesson.pk).watch(0, lesson.duration, at=0))

    page = signed_in_page(browser, live_server, world.bureau)
    scripts = []
    page.on(
        "request", lambda request: scripts.append(request.url) if request.resource_type == "script" else None
    )
    page.goto(f"{live_server.url}/reports/")
    wait_until(page, "window.reportCharts && window.reportCharts.districts && window.reportCharts.quarters")

    # Chart.js made its charts on the page's canvases, with the page's figures.
    assert page.evaluate("typeof window.Chart") == "function"
    assert page.evaluate("window.Chart.getChart(document.getElementById('chart-districts')) !== undefined")
    labels = page.evaluate("window.reportCharts.districts.data.labels")
    assert len(labels) == 11 and labels[0] == "张店区"
    assert page.evaluate("window.reportCharts.districts.data.datasets[0].data[0]") == 1
    for canvas in ("#chart-districts", "#chart-quarters"):
        box = page.locator(canvas).bounding_box()
        assert box["width"] > 100 and box["height"] > 100, canvas
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, canvas
    # Every script came from this server: no CDN.
    assert scripts and all(url.startswith(live_server.url) for url in scripts), scripts
    assert any("/static/vendor/chartjs/" in url for url in scripts)

    # Fits the phone: the page never scrolls sideways; the wide table scrolls in its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.body.scrollWidth") <= 390
    table_box = page.locator("#report-table").evaluate("table => table.parentElement.clientWidth")
    assert table_box <= 390
    assert "张店区" in page.locator("#report-table").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports-phone.png"), full_page=True)
    assert serious_violations(page) == []
