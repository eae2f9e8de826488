"""Automated accessibility check (axe-core, in Chromium) of the main pages, on a desktop and on a
phone: no serious or critical violation."""

import pytest
from django.core.management import call_command

from tests.e2e import ARTIFACTS, CHROMIUM, DESKTOP, PHONE, ROOT

AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def serious_violations(page) -> list[str]:
    # Evaluated through the DevTools protocol, not added as an inline <script>: the pages' own
    # Content-Security-Policy (nonces only) rightly refuses an inline script, and the auditor
    # must look at the page as users get it, policy included.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
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
    from archive.models import Certificate
    from courses.models import CoursePage

    course = CoursePage.objects.get(slug="elderly-care-advanced")
    lesson = course.lessons.get(kind="video")
    certificate = Certificate.objects.get(entry__learner__user__username="demo")
    page = browser(device)
    pages = [
        "/",
        "/courses/",
        course.url,
        "/accounts/login/",
        "/accounts/register/",
        "/catalog-key-industry/",
        "/search/?q=陶瓷",
        f"/certificates/{certificate.number}/",
    ]
    found = {}
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        found[path] = serious_violations(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "demo")  # the demo learner: enrolled, one course completed
    page.fill("#id_password", "demo12345")
    page.click("form.form button[type=submit]")
    for path in [f"{course.url}lessons/{lesson.pk}/", "/me/learning/", "/me/archive/"]:
        page.goto(f"{live_server.url}{path}")
        found[path] = serious_violations(page)
    name = "desktop" if device is DESKTOP else "phone"
    page.screenshot(path=str(ARTIFACTS / f"my-archive-{name}.png"), full_page=True)
    page.goto(f"{live_server.url}/certificates/{certificate.number}/")
    page.screenshot(path=str(ARTIFACTS / f"certificate-verify-{name}.png"), full_page=True)
    assert {path: issues for path, issues in found.items() if issues} == {}
