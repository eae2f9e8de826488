"""Automated accessibility check (axe-core, in Chromium) of the main pages, on a desktop and on a
phone: no serious or critical violation."""

import pytest
from django.core.management import call_command

from tests.e2e import CHROMIUM, DESKTOP, PHONE, ROOT
from tests.factories import LearnerFactory, enroll

AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_main_pages_have_no_serious_accessibility_violations(browser, live_server, settings, device):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from courses.models import CoursePage

    course = CoursePage.objects.get(slug="elderly-care-advanced")
    learner = LearnerFactory(user__username="a11y")
    enroll(learner, course)
    lesson = course.lessons.get(kind="video")
    page = browser(device)
    pages = [
        "/",
        "/courses/",
        course.url,
        "/accounts/login/",
        "/accounts/register/",
        "/catalog-key-industry/",
        "/search/?q=陶瓷",
    ]
    found = {}
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        found[path] = serious_violations(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "a11y")
    page.fill("#id_password", "pass-word-123")
    page.click("form.form button[type=submit]")
    for path in [f"{course.url}lessons/{lesson.pk}/", "/me/learning/"]:
        page.goto(f"{live_server.url}{path}")
        found[path] = serious_violations(page)
    assert {path: issues for path, issues in found.items() if issues} == {}
