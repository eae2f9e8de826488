"""One language at a time on the pages of issue 21: the reports (统一报表) and the task table,
the review queue and a case with a scanned signal, the dishonesty records and the audit trail.
In English, no Chinese shows outside the data; a signal's summary, written by the scan in
Chinese, is shown in the reader's language (tests/test_i18n_new_apps.py has the checker)."""

import pytest
from django.conf import settings

from courses.models import Lesson
from integrity.models import DishonestyRecord, SubjectKind
from reports.demo import seed_reports_demo
from tests.factories import make_course
from tests.i18n_pages import chinese_left, data_strings, english
from tests.institutions_factories import make_world
from tests.integrity_factories import DAY, flagged_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = make_world()
    course = make_course(lessons=1)
    case = flagged_case(world.learner_a, course.lessons.first())
    DishonestyRecord.objects.create(
        subject_kind=SubjectKind.INSTITUTION,
        institution=world.institution_b,
        reason="虚报培训人数",
        starts_on=DAY,
        ends_on=DAY,
        created_by=world.bureau,
    )
    seed_reports_demo()
    world.case = case
    return world


def test_the_pages_of_issue_21_speak_english_only(world):
    data = data_strings() | {"虚报培训人数"} | set(Lesson.objects.values_list("title", flat=True))
    pages = [
        (world.bureau, "/reports/"),
        (world.bureau, "/reports/?quarter=1&cut=occupation"),
        (world.bureau, "/reports/?cut=channel"),
        (world.bureau, "/reports/?cut=institution"),
        (world.official, "/reports/"),
        (world.bureau, "/reports/tasks/"),
        (world.bureau, "/integrity/cases/"),
        (world.official, f"/integrity/cases/{world.case.pk}/"),
        (world.bureau, "/integrity/records/"),
        (world.bureau, "/integrity/records/new/"),
        (world.auditor, "/audit/?log=actions"),
    ]
    offenders = {}
    for user, url in pages:
        response = english(user).get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content.decode()
        assert 'lang="en"' in html, url
        if left := chinese_left(html, data):
            offenders[url] = left[:5]
    assert not offenders, "\n".join(f"{url}: {left}" for url, left in offenders.items())


def test_a_signals_summary_follows_the_readers_language(world):
    signal = world.case.signals.first()
    assert "防挂机点名未作答" in signal.summary or "快于真实时间" in signal.summary  # stored in Chinese
    url = f"/integrity/cases/{world.case.pk}/"
    english_page = english(world.bureau).get(url).content.decode()
    chinese_page = english(world.bureau)
    chinese_page.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "faster than real time" in english_page.lower() or "attention check" in english_page.lower()
    assert signal.summary in chinese_page.get(url).content.decode()
