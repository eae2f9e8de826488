"""五单式 列单 (the bureau's offers) and 接单 (institutions apply, the district decides; 选单 is in
test_orders_choose.py): each step's permission by persona, the scopes, the rules, the 需求目录 drafts and the notices. Personas: tests/institutions_factories.make_world (张店区
institution A, 淄川区 institution B, a 张店区 official). The whole flow: test_five_steps.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from wagtail.models import Workflow, WorkflowContentType

from catalogs.models import DemandEntry
from demand.models import DemandStatus
from evaluation.services import decision_record
from institutions.models import TrainingClass
from institutions.roles import forget_roles
from orders import services
from orders.models import ApplicationStatus, OfferStatus, OrderApplication
from tests.factories import LearnerFactory, OccupationFactory, make_course
from tests.orders_factories import (
    PERSONAS,
    applied,
    approved,
    demand_of,
    draft_offer,
    in_catalog,
    orders_world,
    published_offer,
    web,
)
from tests.teachers_factories import TeacherFactory
from vocabulary.people import District, TargetGroup
from vocabulary.training import Level
from wechat.models import Notification, WechatBinding

pytestmark = pytest.mark.django_db


@pytest.fixture
def s():
    return orders_world()


def offer_form(occupation, **fields) -> dict:
    today = timezone.localdate()
    data = {
        "occupation": occupation.code,
        "level": Level.FIVE,
        "opens_on": (today - dt.timedelta(days=1)).isoformat(),
        "closes_on": (today + dt.timedelta(days=30)).isoformat(),
        "note": "面向张店区企业职工",
    }
    data.update(fields)
    return data


def application_form(course, teacher, **fields) -> dict:
    today = timezone.localdate()
    data = {
        "course": course.pk,
        "name": "养老护理员清单班第1期",
        "starts_on": (today + dt.timedelta(days=3)).isoformat(),
        "ends_on": (today + dt.timedelta(days=40)).isoformat(),
        "mode": "offline",
        "place": "张店区柳泉路128号",
        "capacity": "30",
        "teachers": [teacher.pk],
    }
    data.update(fields)
    return data


# ---------------------------------------------------------------- 列单: the bureau's offers

OFFER_PAGES = {  # persona → status of the offer list and of the new-offer form
    "learner": (403, 403),
    "staff": (403, 403),
    "hr": (403, 403),
    "official": (403, 403),
    "bureau": (200, 200),
    "auditor": (200, 403),
    "editor": (403, 403),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_offer_pages_are_the_bureaus_and_auditors_read_them(s, persona):
    offer = draft_offer(s.world.bureau, s.occupation)
    client = web(s.people[persona])
    listing, form = OFFER_PAGES[persona]
    assert client.get("/orders/offers/").status_code == listing
    assert client.get(f"/orders/offers/{offer.pk}/").status_code == listing
    assert client.get("/orders/offers/new/").status_code == form
    assert client.get(f"/orders/offers/{offer.pk}/edit/").status_code == form
    if persona != "bureau":
        assert client.post(f"/orders/offers/{offer.pk}/publish/").status_code == 403
        assert client.post(f"/orders/offers/{offer.pk}/close/").status_code == 403
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DRAFT


def test_anonymous_visitors_are_asked_to_log_in_on_every_page(s):
    for path in [
        "/orders/",
        "/orders/offers/",
        "/orders/offers/new/",
        "/orders/applications/",
        "/orders/classes/",
    ]:
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), path


def test_the_bureau_drafts_an_offer_beside_the_demand_and_publishes_it(s):
    demand = demand_of(s.world.learner_a, s.occupation)
    bureau = web(s.world.bureau)

    form = bureau.get(f"/orders/offers/new/?occupation={s.occupation.code}")
    assert form.status_code == 200
    html = form.content.decode()
    assert "培训需求汇总" in html and "张店区" in html and "企业职工" in html
    assert "4-10-01-05 养老护理员" in html  # among the most wanted occupations

    created = bureau.post(
        "/orders/offers/new/",
        {
            **offer_form(s.occupation),
            "districts": [District.ZHANGDIAN],
            "target_groups": [TargetGroup.ENTERPRISE_EMPLOYEE],
        },
    )
    assert created.status_code == 302
    offer = s.occupation.training_offers.get()
    assert offer.status == OfferStatus.DRAFT and offer.subsidy_amount is None
    assert offer.districts == [District.ZHANGDIAN] and offer.target_groups == [
        TargetGroup.ENTERPRISE_EMPLOYEE
    ]

    edited = bureau.post(f"/orders/offers/{offer.pk}/edit/", offer_form(s.occupation, note="改为全市"))
    assert edited.status_code == 302
    offer.refresh_from_db()
    assert offer.note == "改为全市" and offer.districts == []

    assert bureau.post(f"/orders/offers/{offer.pk}/publish/").status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PUBLISHED and offer.published_at is not None
    assert offer.subsidy_amount == Decimal("1500.00")  # the city's standard, kept
    demand.refresh_from_db()
    assert demand.status == DemandStatus.LISTED
    assert list(offer.demands.all()) == [demand]
    page = bureau.get(f"/orders/offers/{offer.pk}/")
    assert page.status_code == 200 and "已发布" in page.content.decode()
    # a published offer is no longer edited
    assert bureau.get(f"/orders/offers/{offer.pk}/edit/").status_code == 403


def test_an_offer_with_bad_dates_or_an_unknown_occupation_is_refused_on_the_form(s):
    bureau = web(s.world.bureau)
    today = timezone.localdate()
    wrong = bureau.post(
        "/orders/offers/new/",
        {
            **offer_form(s.occupation, closes_on=(today - dt.timedelta(days=9)).isoformat()),
            "occupation": "9-99-99-99",
        },
    )
    assert wrong.status_code == 400
    assert "没有这个职业" in wrong.content.decode()
    assert not s.occupation.training_offers.exists()


def test_publishing_needs_the_citys_subsidy_standard(s):
    other = OccupationFactory(code="4-03-02-01", name="中式烹调师")
    offer = draft_offer(s.world.bureau, other)
    with pytest.raises(services.OrderRefused, match="补贴标准"):
        services.offer_publish(offer_id=offer.pk, user=s.world.bureau)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DRAFT


def test_publication_drafts_the_demand_catalog_entries_and_never_publishes_them(s):
    workflow = Workflow.objects.get(name="内容审核")
    WorkflowContentType.objects.create(
        content_type=ContentType.objects.get_for_model(DemandEntry), workflow=workflow
    )
    demand_of(s.world.learner_a, s.occupation)  # 张店区, enterprise employee
    demand_of(LearnerFactory(district=District.ZHANGDIAN), s.occupation)
    demand_of(LearnerFactory(district=District.ZICHUAN, target_group=TargetGroup.UNEMPLOYED), s.occupation)

    offer = published_offer(s.world.bureau, s.occupation)

    entries = list(DemandEntry.objects.all())
    assert sorted((e.district, e.target_group, e.demand_count) for e in entries) == sorted(
        [
            (District.ZICHUAN, TargetGroup.UNEMPLOYED, 1),
            (District.ZHANGDIAN, TargetGroup.ENTERPRISE_EMPLOYEE, 2),
        ]
    )
    for entry in entries:
        assert entry.live is False  # a draft: editors publish, as for every entry
        assert entry.workflow_in_progress  # submitted to the catalog's review
        assert entry.occupation_id == s.occupation.pk and entry.level == Level.FIVE
    assert set(offer.catalog_entries.all()) == set(entries)
    assert Client().get("/api/v1/catalogs/demand/").json()["count"] == 0


def test_a_live_catalog_entry_gets_a_draft_revision_and_keeps_its_published_count(s):
    from tests.catalogs_factories import DemandEntryFactory

    entry = DemandEntryFactory(
        occupation=s.occupation,
        level=Level.FIVE,
        year=timezone.localdate().year,
        district=District.ZHANGDIAN,
        target_group=TargetGroup.ENTERPRISE_EMPLOYEE,
        demand_count=50,
    )
    demand_of(s.world.learner_a, s.occupation)
    published_offer(s.world.bureau, s.occupation)
    entry.refresh_from_db()
    assert entry.live and entry.demand_count == 50  # the published content stays
    assert entry.has_unpublished_changes
    assert entry.latest_revision.content["demand_count"] == 1
    assert DemandEntry.objects.count() == 1


def test_the_bureau_closes_a_published_offer(s):
    offer = published_offer(s.world.bureau, s.occupation)
    assert web(s.world.bureau).post(f"/orders/offers/{offer.pk}/close/").status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.CLOSED
    with pytest.raises(services.OrderRefused):
        applied(offer, s.world.institution_a, s.world.staff_a, s.course)


# ---------------------------------------------------------------- 接单: institutions apply

ORDER_PAGE = {
    "learner": 403,
    "staff": 200,
    "hr": 403,
    "official": 403,
    "bureau": 403,
    "auditor": 403,
    "editor": 403,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_institution_staff_take_orders(s, persona):
    offer = published_offer(s.world.bureau, s.occupation)
    client = web(s.people[persona])
    assert client.get("/orders/").status_code == ORDER_PAGE[persona]
    assert client.get(f"/orders/offers/{offer.pk}/apply/").status_code == ORDER_PAGE[persona]
    if persona != "staff":
        teacher = TeacherFactory()
        assert (
            client.post(f"/orders/offers/{offer.pk}/apply/", application_form(s.course, teacher)).status_code
            == 403
        )
        assert not OrderApplication.objects.exists()


def test_staff_apply_for_their_own_institution_on_the_page(s):
    offer = published_offer(s.world.bureau, s.occupation)
    staff = web(s.world.staff_a)
    page = staff.get("/orders/")
    assert "4-10-01-05 养老护理员" in page.content.decode() and "申请接单" in page.content.decode()
    teacher = TeacherFactory(specialties=[s.occupation])
    response = staff.post(f"/orders/offers/{offer.pk}/apply/", application_form(s.course, teacher))
    assert response.status_code == 302
    application = OrderApplication.objects.get()
    assert application.institution == s.world.institution_a  # never chosen on the form
    assert application.status == ApplicationStatus.SUBMITTED and application.submitted_by == s.world.staff_a
    assert list(application.teachers.all()) == [teacher]
    assert staff.get(f"/orders/applications/{application.pk}/").status_code == 200


def test_a_course_of_another_occupation_or_level_is_refused(s):
    offer = published_offer(s.world.bureau, s.occupation)
    cook = make_course(occupation=OccupationFactory(code="4-03-02-01", name="中式烹调师"))
    higher = make_course(occupation=s.occupation, level=Level.FOUR)
    for course in (cook, higher):
        with pytest.raises(ValidationError) as refused:
            applied(offer, s.world.institution_a, s.world.staff_a, course)
        assert "course" in refused.value.error_dict
    # and the form only offers the offer's courses
    staff = web(s.world.staff_a)
    response = staff.post(f"/orders/offers/{offer.pk}/apply/", application_form(cook, TeacherFactory()))
    assert response.status_code == 400
    assert not OrderApplication.objects.exists()


def test_unapproved_teachers_and_an_offline_class_without_a_place_are_refused(s):
    offer = published_offer(s.world.bureau, s.occupation)
    with pytest.raises(ValidationError) as refused:
        applied(
            offer,
            s.world.institution_a,
            s.world.staff_a,
            s.course,
            teachers=[TeacherFactory(state="submitted")],
        )
    assert "teachers" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        applied(offer, s.world.institution_a, s.world.staff_a, s.course, place="  ")
    assert "place" in refused.value.error_dict


def test_an_institution_outside_the_catalog_is_refused(s):
    offer = published_offer(s.world.bureau, s.occupation)
    from tests.institutions_factories import InstitutionFactory, staff_of

    outsider = InstitutionFactory(name="未入目录培训学校")
    staff = staff_of(outsider)
    page = web(staff).get("/orders/")
    assert "不在已发布的培训机构目录中" in page.content.decode()
    response = web(staff).post(
        f"/orders/offers/{offer.pk}/apply/", application_form(s.course, TeacherFactory())
    )
    assert response.status_code == 403
    with pytest.raises(services.OrderRefused, match="培训机构目录"):
        applied(offer, outsider, staff, s.course)
    # in the catalog, but not for this occupation
    in_catalog(outsider, OccupationFactory(code="4-03-02-01", name="中式烹调师"))
    with pytest.raises(services.OrderRefused, match="不包括"):
        applied(offer, outsider, staff, s.course)


def test_a_suspended_institution_is_refused_and_an_inactive_ones_staff_lose_the_page(s):
    offer = published_offer(s.world.bureau, s.occupation)
    decision_record(
        institution=s.world.institution_a,
        year=timezone.localdate().year,
        kind="suspension",
        reason="结业率低于标准",
        user=s.world.bureau,
    )
    with pytest.raises(services.OrderRefused, match="暂停接单"):
        applied(offer, s.world.institution_a, s.world.staff_a, s.course)
    assert "暂停接单" in web(s.world.staff_a).get("/orders/").content.decode()

    s.world.institution_b.active = False
    s.world.institution_b.save()
    forget_roles(s.world.staff_b)
    assert web(s.world.staff_b).get("/orders/").status_code == 403
    with pytest.raises(services.OrderRefused, match="停用"):
        applied(offer, s.world.institution_b, s.world.staff_b, s.course)


# ---------------------------------------------------------------- 接单审核: the district decides


def test_the_review_list_is_scoped_and_hr_learners_and_editors_see_nothing(s):
    offer = published_offer(s.world.bureau, s.occupation)
    mine = applied(offer, s.world.institution_a, s.world.staff_a, s.course, name="张店清单班")
    theirs = applied(offer, s.world.institution_b, s.world.staff_b, s.course, name="淄川清单班")
    expected = {
        "official": ["张店清单班"],  # 张店区 only
        "staff": ["张店清单班"],
        "bureau": ["张店清单班", "淄川清单班"],
        "auditor": ["张店清单班", "淄川清单班"],
    }
    for persona in PERSONAS:
        client = web(s.people[persona])
        listing = client.get("/orders/applications/?status=")
        if persona in expected:
            assert listing.status_code == 200
            html = listing.content.decode()
            assert [name for name in ["张店清单班", "淄川清单班"] if name in html] == expected[persona], (
                persona
            )
        else:
            assert listing.status_code == 403, persona
            assert client.get(f"/orders/applications/{mine.pk}/").status_code == 403
    official = web(s.world.official)
    assert official.get(f"/orders/applications/{theirs.pk}/").status_code == 404
    assert (
        official.post(f"/orders/applications/{theirs.pk}/decide/", {"decision": "approve"}).status_code == 404
    )
    assert web(s.world.staff_a).get(f"/orders/applications/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ApplicationStatus.SUBMITTED


@pytest.mark.parametrize("persona", ["learner", "staff", "hr", "auditor", "editor"])
def test_only_the_district_and_the_bureau_decide(s, persona):
    offer = published_offer(s.world.bureau, s.occupation)
    application = applied(offer, s.world.institution_a, s.world.staff_a, s.course)
    response = web(s.people[persona]).post(
        f"/orders/applications/{application.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.training_class is None


def test_a_rejection_needs_a_reason(s):
    offer = published_offer(s.world.bureau, s.occupation)
    application = applied(offer, s.world.institution_a, s.world.staff_a, s.course)
    official = web(s.world.official)
    refused = official.post(
        f"/orders/applications/{application.pk}/decide/", {"decision": "reject", "reason": " "}
    )
    assert refused.status_code == 400 and "请填写不通过的原因" in refused.content.decode()
    with pytest.raises(ValueError):
        services.application_decide(application_id=application.pk, user=s.world.official, approve=False)
    done = official.post(
        f"/orders/applications/{application.pk}/decide/", {"decision": "reject", "reason": "场地不符合要求"}
    )
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED and application.reason == "场地不符合要求"
    assert application.decided_by == s.world.official and application.training_class is None
    assert (
        "场地不符合要求"
        in web(s.world.staff_a).get(f"/orders/applications/{application.pk}/").content.decode()
    )
    # decided once
    with pytest.raises(services.OrderRefused):
        approved(application, s.world.official)


def test_approval_opens_the_class_matches_the_demands_and_notifies_the_bound_workers(s, settings):
    settings.WECHAT_APP_ID = "wx-test"
    settings.WECHAT_TEMPLATES = {**settings.WECHAT_TEMPLATES, "class_opened": "tpl-class-opened"}
    bound = s.world.learner_a
    WechatBinding.objects.create(learner=bound, openid="o-worker-a")
    unbound = LearnerFactory(district=District.ZHANGDIAN)
    demands = [demand_of(bound, s.occupation), demand_of(unbound, s.occupation)]
    offer = published_offer(s.world.bureau, s.occupation, districts=[District.ZHANGDIAN])
    late = demand_of(LearnerFactory(district=District.ZHANGDIAN), s.occupation)  # after publication
    elsewhere = demand_of(s.world.learner_b, s.occupation)  # 淄川区: not served
    application = applied(offer, s.world.institution_a, s.world.staff_a, s.course, capacity=25)

    response = web(s.world.official).post(
        f"/orders/applications/{application.pk}/decide/", {"decision": "approve", "reason": ""}
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.decided_by == s.world.official
    training_class = application.training_class
    assert training_class.institution == s.world.institution_a and training_class.course == s.course
    assert training_class.capacity == 25 and training_class.district == District.ZHANGDIAN
    assert training_class.mode == "offline" and training_class.place
    assert set(training_class.teachers.all()) == set(application.teachers.all())
    assert training_class.assignments.filter(course=s.course).exists()
    for demand in [*demands, late]:
        demand.refresh_from_db()
        assert demand.status == DemandStatus.MATCHED
    elsewhere.refresh_from_db()
    assert elsewhere.status == DemandStatus.SUBMITTED
    notices = Notification.objects.filter(kind="class_opened")
    assert [n.learner_id for n in notices] == [bound.pk]  # the bound worker; the unbound one has no WeChat
    assert notices[0].subject == f"class:{training_class.pk}"
    assert training_class.name in str(notices[0].data)
    # the class page and the bulk claim (买单) are linked from the application for its staff
    html = web(s.world.staff_a).get(f"/orders/applications/{application.pk}/").content.decode()
    assert f"/subsidies/classes/{training_class.pk}/" in html
    assert (
        f"/subsidies/classes/{training_class.pk}/"
        not in web(s.world.official).get(f"/orders/applications/{application.pk}/").content.decode()
    )


def test_the_bureau_may_decide_any_districts_application(s):
    offer = published_offer(s.world.bureau, s.occupation)
    application = applied(offer, s.world.institution_b, s.world.staff_b, s.course)
    response = web(s.world.bureau).post(
        f"/orders/applications/{application.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 302
    assert TrainingClass.objects.filter(order_application=application).exists()


def test_approval_is_refused_once_the_institution_is_suspended(s):
    offer = published_offer(s.world.bureau, s.occupation)
    application = applied(offer, s.world.institution_a, s.world.staff_a, s.course)
    decision_record(
        institution=s.world.institution_a,
        year=timezone.localdate().year,
        kind="suspension",
        reason="投诉核实",
        user=s.world.bureau,
    )
    response = web(s.world.official).post(
        f"/orders/applications/{application.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 409
    application.refresh_from_db()
    assert (
        application.status == ApplicationStatus.SUBMITTED
        and not TrainingClass.objects.filter(name=application.name).exists()
    )
