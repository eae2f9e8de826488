"""One language at a time on the pages of 提单 (demand), 列单/接单/选单 (orders) and 评单
(evaluation), as tests/test_i18n.py checks the rest: in English, no Chinese shows outside the
data (the names of people, courses, classes, occupations, institutions and enterprises, the notes
typed). The list separators (、 ；), the label separator (：) and the brackets (（…）) around a
level or a district come from the catalog too; the districts and levels are our choices, shown
in English."""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.test import Client

from demand.bulk import Row
from demand.services import enterprise_demands_submit
from evaluation import selectors as evaluation_selectors
from evaluation import services as evaluation_services
from evaluation.models import CourseRating
from institutions.models import TrainingClass
from tests.factories import LearnerFactory, OccupationFactory
from tests.i18n_pages import chinese_left, data_strings, english
from tests.institutions_factories import TrainingClassFactory, make_world, member
from tests.orders_factories import applied, approved, demand_of, in_catalog, published_offer
from tests.subsidies_factories import completed_entry, subsidised_course
from tests.teachers_factories import TeacherFactory
from vocabulary.people import District, TargetGroup
from vocabulary.training import Level

pytestmark = pytest.mark.django_db


@pytest.fixture
def s():
    """make_world's personas; a published offer for two districts and two target groups with an
    approved class (two teachers) and a pending application; the workers' and an enterprise's
    demands; a completed, rated course of institution A's class."""
    world = make_world()
    course = subsidised_course("4-10-01-05", Level.FIVE, amount="1500")
    occupation = course.occupation
    in_catalog(world.institution_a, occupation)
    in_catalog(world.institution_b, occupation)
    OccupationFactory(code="6-18-02-04", name="焊工")
    demand_of(world.learner_a, occupation, note="希望晚上上课")
    enterprise_demands_submit(
        enterprise=world.enterprise_a,
        rows=[Row(number=2, occupation=occupation, head_count=12, note="周末培训")],
        user=world.hr_a,
    )
    offer = published_offer(
        world.bureau,
        occupation,
        districts=[District.ZHANGDIAN, District.BOSHAN],
        target_groups=[TargetGroup.ENTERPRISE_EMPLOYEE, TargetGroup.UNEMPLOYED],
    )
    teachers = [TeacherFactory(specialties=[occupation]) for _ in range(2)]
    application = approved(
        applied(offer, world.institution_a, world.staff_a, course, teachers=teachers), world.official
    )
    pending = applied(offer, world.institution_b, world.staff_b, course, name="淄川区清单班第1期")

    # 评单: learner_a completed class_a's course and rated it.
    year = evaluation_selectors.current_year()
    TrainingClass.objects.filter(pk=world.class_a.pk).update(
        starts_on=dt.date(year, 1, 2), ends_on=dt.date(year, 1, 30)
    )
    completed_entry(world.learner_a, world.class_a.course)
    evaluation_services.rating_submit(
        learner_id=world.learner_a.pk, course_id=world.class_a.course.pk, stars=4, comment="讲得清楚"
    )
    outsider = LearnerFactory(real_name="王五", district=District.ZICHUAN, target_group=TargetGroup.VETERAN)
    member(TrainingClassFactory(institution=world.institution_b, course=course), outsider)
    return SimpleNamespace(
        world=world,
        offer=offer,
        application=application,
        pending=pending,
        outsider=outsider,
        data=data_strings(),
    )


def pages(s) -> list[tuple]:
    w = s.world
    return [
        (w.learner_a.user, "/demand/"),
        (w.hr_a, "/demand/enterprise/"),
        (w.bureau, "/demand/overview/"),
        (w.bureau, "/demand/overview/?group=district"),
        (w.official, "/demand/overview/"),
        (w.official, "/demand/overview/?group=district"),
        (w.bureau, "/orders/offers/"),
        (w.bureau, f"/orders/offers/{s.offer.pk}/"),
        (w.bureau, f"/orders/offers/new/?occupation={s.offer.occupation.code}"),
        (w.auditor, "/orders/offers/"),
        (w.staff_a, "/orders/"),
        (w.staff_a, f"/orders/offers/{s.offer.pk}/apply/"),
        (w.official, "/orders/applications/"),
        (w.bureau, "/orders/applications/"),
        (w.official, f"/orders/applications/{s.application.pk}/"),
        (w.bureau, f"/orders/applications/{s.pending.pk}/"),
        (w.learner_a.user, "/orders/classes/"),
        (w.bureau, "/evaluation/"),
        (w.bureau, f"/evaluation/institutions/{w.institution_a.pk}/"),
        (w.staff_a, "/evaluation/mine/"),
        (w.learner_a.user, "/me/archive/"),
    ]


def test_the_pages_of_the_new_apps_speak_english_only(s):
    offenders = {}
    for user, url in pages(s):
        response = english(user).get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content.decode()
        assert 'lang="en"' in html, url
        if left := chinese_left(html, s.data):
            offenders[url] = left[:5]
    assert not offenders, "\n".join(f"{url}: {left}" for url, left in offenders.items())


def test_the_chinese_pages_keep_their_punctuation(s):
    """The separators and brackets come from the catalog: in Chinese they stay as they were."""
    client = Client()
    client.force_login(s.world.bureau)
    page = client.get(f"/orders/offers/{s.offer.pk}/").content.decode()
    assert "（五级）" in page and "张店区、博山区" in page
    client.force_login(s.world.official)
    page = client.get(f"/orders/applications/{s.application.pk}/").content.decode()
    assert f"{s.world.institution_a.name}（张店区）" in page
    names = [teacher.name for teacher in s.application.training_class.teachers.all()]
    assert "、".join(names) in page or "、".join(reversed(names)) in page


def test_offer_pages_show_the_districts_and_levels_in_english(s):
    page = english(s.world.bureau).get(f"/orders/offers/{s.offer.pk}/").content.decode()
    assert "Zhangdian District, Boshan District" in page
    overview = english(s.world.bureau).get("/demand/overview/?group=district").content.decode()
    assert "Zhangdian District" in overview


def test_messages_joined_from_parts_speak_english_only(s):
    """The errors built from parts: a bulk line with several problems, an occupation to choose
    among candidates, a worker outside the offer."""
    w = s.world
    bulk = english(w.hr_a).post("/demand/enterprise/", {"lines": "9-99-99-99, 0\n焊工, 十"})
    assert bulk.status_code == 400
    text = bulk.content.decode()
    assert re.search(r"Row 1: [^<;]+; [^<;]+\.<", text), text
    assert not chinese_left(text, s.data | {"焊工, 十", "十"})

    OccupationFactory(code="6-18-02-05", name="焊工（电焊）")
    form = english(w.bureau).post("/orders/offers/new/", {"occupation": "焊", "level": Level.FIVE})
    assert form.status_code == 400
    text = form.content.decode()
    assert "for example: 6-18-02-04 焊工, 6-18-02-05 焊工（电焊）" in text
    assert not chinese_left(text, data_strings() | {"焊"})

    refused = english(s.outsider.user).post(
        f"/orders/classes/{s.application.training_class_id}/enroll/", follow=True
    )
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "for Zhangdian District, Boshan District; Enterprise employee, Unemployed person; you" in text
    assert not chinese_left(text, s.data)


def test_a_final_rating_on_my_archive_speaks_english_only(s):
    CourseRating.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))  # past the edit window
    page = english(s.world.learner_a.user).get("/me/archive/").content.decode()
    assert "My rating: " in page
    assert not chinese_left(page, s.data)


def test_the_download_names_are_in_the_users_language(s):
    template = english(s.world.hr_a).get("/demand/enterprise/template.xlsx")
    assert "training-demand-template.xlsx" in template["Content-Disposition"]
    export = english(s.world.bureau).get("/demand/overview/export.xlsx")
    assert "training-demands-" in export["Content-Disposition"]
    chinese = Client()
    chinese.force_login(s.world.hr_a)
    assert "filename*=utf-8''" in chinese.get("/demand/enterprise/template.xlsx")["Content-Disposition"]
