"""Issue 20, end to end: one worker's demand walked through the five steps of 五单式 —
提单 (the worker's demand, by the API), 列单 (the bureau's offer, published), 接单 (an
institution's class, approved by the district; the worker notified), 选单 (the worker enrols and
completes), 买单 (the institution's bulk claim for the class, approved by the district and the
bureau, marked paid) — with each role's screen rendered along the way."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from demand.models import DemandStatus, TrainingDemand
from orders.models import ApplicationStatus, OfferStatus, OrderApplication, TrainingOffer
from subsidies import services as subsidy_services
from subsidies.models import ClaimStatus
from tests.conftest import client_for
from tests.institutions_factories import make_world
from tests.orders_factories import in_catalog
from tests.subsidies_factories import completed_entry, subsidised_course
from tests.teachers_factories import TeacherFactory
from vocabulary.people import District
from vocabulary.training import Level
from wechat.models import Notification, WechatBinding

pytestmark = pytest.mark.django_db


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shows(client: Client, path: str, *texts: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    for text in texts:
        assert text in html, (path, text)
    return html


def test_one_demand_through_the_five_steps(settings):
    settings.WECHAT_APP_ID = "wx-test"
    settings.WECHAT_TEMPLATES = {**settings.WECHAT_TEMPLATES, "class_opened": "tpl-class-opened"}
    world = make_world()
    course = subsidised_course("4-10-01-05", Level.FIVE, amount="1500", title="养老护理员（五级）清单课程")
    occupation = course.occupation
    in_catalog(world.institution_a, occupation)
    worker = world.learner_a  # 张店区, enterprise employee
    worker.verified = True  # real-name verified: the completion earns a certificate
    worker.save()
    WechatBinding.objects.create(learner=worker, openid="o-worker")
    today = timezone.localdate()

    # 1. 提单 — the worker states the training they want, in the app.
    app = client_for(worker.user)
    stated = app.post(
        "/api/v1/me/training-demands/",
        {"occupation": occupation.code, "note": "想照顾家里老人"},
        format="json",
    )
    assert stated.status_code == 201, stated.content
    assert stated.json()["status"] == "submitted"
    demand = TrainingDemand.objects.get(pk=stated.json()["id"])
    shows(web(worker.user), "/demand/", "养老护理员")

    # 2. 列单 — the bureau sees the demand beside the form, lists the offer and publishes it.
    bureau = web(world.bureau)
    shows(bureau, f"/orders/offers/new/?occupation={occupation.code}", "培训需求汇总", "张店区")
    created = bureau.post(
        "/orders/offers/new/",
        {
            "occupation": occupation.code,
            "level": Level.FIVE,
            "districts": [District.ZHANGDIAN],
            "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=30)).isoformat(),
            "note": "张店区养老护理员培训",
        },
    )
    assert created.status_code == 302
    offer = TrainingOffer.objects.get()
    assert bureau.post(f"/orders/offers/{offer.pk}/publish/").status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PUBLISHED and str(offer.subsidy_amount) == "1500.00"
    demand.refresh_from_db()
    assert demand.status == DemandStatus.LISTED
    shows(bureau, "/orders/offers/", "4-10-01-05 养老护理员", "已发布")
    assert offer.catalog_entries.filter(live=False).count() == 1  # the 需求目录's draft, in review

    # 3. 接单 — the institution applies; the district approves; the class opens; the worker is told.
    staff = web(world.staff_a)
    shows(staff, "/orders/", "申请接单")
    teacher = TeacherFactory(specialties=[occupation])
    applied = staff.post(
        f"/orders/offers/{offer.pk}/apply/",
        {
            "course": course.pk,
            "name": "2026年养老护理员（五级）清单班",
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=30)).isoformat(),
            "mode": "blended",
            "place": "张店区柳泉路128号",
            "capacity": "20",
            "teachers": [teacher.pk],
        },
    )
    assert applied.status_code == 302
    application = OrderApplication.objects.get()
    official = web(world.official)
    shows(official, "/orders/applications/", "2026年养老护理员（五级）清单班")
    shows(official, f"/orders/applications/{application.pk}/", "提交审核意见")
    decided = official.post(f"/orders/applications/{application.pk}/decide/", {"decision": "approve"})
    assert decided.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    training_class = application.training_class
    demand.refresh_from_db()
    assert demand.status == DemandStatus.MATCHED
    assert Notification.objects.filter(learner=worker, kind="class_opened").exists()
    shows(staff, f"/orders/applications/{application.pk}/", "班级补贴申领")
    shows(staff, f"/institution/classes/{training_class.pk}/", training_class.name)

    # 4. 选单 — the worker sees the class answering their demand, enrols and completes it.
    shows(web(worker.user), "/orders/classes/", "对应您的培训需求", training_class.name)
    enrolled = app.post(f"/api/v1/me/open-classes/{training_class.pk}/enroll/")
    assert enrolled.status_code == 201
    assert worker.enrollments.filter(course=course).exists()
    entry = completed_entry(worker, course)
    assert entry.course_id == course.pk
    archive = app.get("/api/v1/me/archive/").json()["results"]
    assert [item["course"] for item in archive] == [course.pk]
    assert archive[0]["certificate"] is not None

    # 5. 买单 — the institution claims for the class; the district and the bureau approve; paid.
    shows(staff, f"/subsidies/classes/{training_class.pk}/", "为已结业学员批量申领")
    [outcome] = subsidy_services.claims_bulk_submit_for_class(
        training_class=training_class, user=world.staff_a
    )
    claim = outcome.claim
    assert claim is not None and claim.amount == offer.subsidy_amount, outcome
    shows(official, f"/subsidies/claims/{claim.pk}/", "养老护理员")
    subsidy_services.claim_district_decide(claim_id=claim.pk, user=world.official, approve=True)
    subsidy_services.claim_bureau_decide(claim_id=claim.pk, user=world.bureau, approve=True)
    subsidy_services.claim_mark_paid(claim_id=claim.pk, user=world.bureau, reference="ZB2026-0001")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    shows(bureau, f"/subsidies/claims/{claim.pk}/", "ZB2026-0001")
    shows(web(worker.user), "/subsidies/me/", "已发放")
