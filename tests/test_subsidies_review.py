"""The subsidy pages, one screen per role: 我的补贴 (learner), the class's bulk claim (staff),
the review queue and claim page (district official, bureau, auditor) with the evidence
summary, the insurance cross-check and the history; the streamed export and the
social-insurance roster import (bureau); the standards in the Django admin; the demo seed.
Each role's permission on each step, persona by persona (tests/institutions_factories.World)."""

import io
import uuid
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from courses.models import CoursePage
from institutions import roles
from learners.crypto import blind_index
from learners.models import Learner
from progress.models import ProgressEvent
from subsidies import services
from subsidies.demo import seed_subsidies
from subsidies.models import (
    ActorRole,
    ClaimStatus,
    InsuranceImport,
    InsuranceRecord,
    SubsidyClaim,
    SubsidyStandard,
)
from tests.factories import LearnerFactory, UserFactory
from tests.institutions_factories import in_group, make_world, member
from tests.subsidies_factories import claimable_entry, completed_entry, subsidised_course
from vocabulary.people import TargetGroup

pytestmark = pytest.mark.django_db

PERSONAS = ["learner_a", "staff_a", "staff_b", "hr_a", "official", "editor", "bureau", "auditor", "anonymous"]


@pytest.fixture
def world():
    world = make_world()
    course = world.class_a.course
    CoursePage.objects.filter(pk=course.pk).update(subsidy_eligible=True)
    SubsidyStandard.objects.create(occupation=course.occupation, level=course.level, amount=Decimal("1500"))
    Learner.objects.filter(pk__in=[world.learner_a.pk, world.learner_b.pk]).update(verified=True)
    for learner in (world.learner_a, world.learner_b):
        learner.refresh_from_db()
        learner.entry = completed_entry(learner, course)
    world.claim_a = claim_of(world.learner_a)
    world.claim_b = claim_of(world.learner_b)
    return world


def claim_of(learner) -> SubsidyClaim:
    return services.claim_submit(learner_id=learner.pk, entry_id=learner.entry.pk, user=learner.user)


def browser(world, persona) -> Client:
    client = Client()
    if persona != "anonymous":
        who = getattr(world, persona)
        client.force_login(who.user if persona.startswith("learner_") else who)
    return client


def assert_refused(response, expected):
    """``expected``: a status, or "login" for the login redirect of anonymous visitors."""
    if expected == "login":
        assert response.status_code == 302 and "/accounts/login/?next=" in response["Location"]
    else:
        assert response.status_code == expected


# --- 我的补贴 -------------------------------------------------------------------------------------


@pytest.fixture
def learner(db):
    return LearnerFactory(verified=True, target_group=TargetGroup.UNEMPLOYED)


def test_my_subsidies_offers_a_claim_for_what_may_be_claimed_and_says_why_not_for_the_rest(client, learner):
    good = claimable_entry(learner)
    short = completed_entry(learner, subsidised_course("4-10-01-06"), credited=1)
    client.force_login(learner.user)
    page = client.get("/subsidies/me/").content.decode()
    assert f'name="archive_entry" value="{good.pk}"' in page
    assert f'name="archive_entry" value="{short.pk}"' not in page
    assert "不足课程要求" in page
    response = client.post("/subsidies/me/claim/", {"archive_entry": good.pk}, follow=True)
    assert response.redirect_chain[-1][0] == "/subsidies/me/"
    assert "已提交补贴申领" in response.content.decode()
    claim = SubsidyClaim.objects.get(archive_entry=good)
    assert claim.status == ClaimStatus.SUBMITTED
    assert "已提交，待区县审核" in client.get("/subsidies/me/").content.decode()
    refused = client.post("/subsidies/me/claim/", {"archive_entry": short.pk}, follow=True)
    assert "不足课程要求" in refused.content.decode()
    assert SubsidyClaim.objects.count() == 1


def test_my_subsidies_is_for_learners_only(client, learner):
    someone = LearnerFactory(verified=True)
    theirs = claimable_entry(someone)
    client.force_login(learner.user)
    assert client.post("/subsidies/me/claim/", {"archive_entry": theirs.pk}).status_code == 404
    assert not SubsidyClaim.objects.exists()
    client.force_login(UserFactory())
    assert client.get("/subsidies/me/").status_code == 403
    client.logout()
    assert_refused(client.get("/subsidies/me/"), "login")
    assert_refused(client.post("/subsidies/me/claim/", {"archive_entry": theirs.pk}), "login")


# --- the review pages, persona by persona ---------------------------------------------------------

LIST = {"staff_a": 200, "staff_b": 200, "official": 200, "bureau": 200, "auditor": 200, "anonymous": "login"}
DETAIL_A = {**LIST, "staff_b": 404}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_opens_the_review_list_and_the_claim_page(world, persona):
    client = browser(world, persona)
    assert_refused(client.get("/subsidies/claims/?status="), LIST.get(persona, 403))
    assert_refused(client.get(f"/subsidies/claims/{world.claim_a.pk}/"), DETAIL_A.get(persona, 403))
    if persona == "official":  # 淄川区's claim is not found by 张店区's official
        assert client.get(f"/subsidies/claims/{world.claim_b.pk}/").status_code == 404
        listed = client.get("/subsidies/claims/").content.decode()
        assert f"#{world.claim_a.pk}<" in listed and f"#{world.claim_b.pk}<" not in listed


STEP_POSTS = {
    "district": ({"decision": "approve"}, {"official": 302, "anonymous": "login"}),
    "bureau": ({"decision": "approve"}, {"bureau": 302, "anonymous": "login"}),
    "pay": ({"reference": "ZB-PAY-1"}, {"bureau": 302, "anonymous": "login"}),
}
READY = {
    "district": ClaimStatus.SUBMITTED,
    "bureau": ClaimStatus.DISTRICT_APPROVED,
    "pay": ClaimStatus.APPROVED,
}
AFTER = {"district": ClaimStatus.DISTRICT_APPROVED, "bureau": ClaimStatus.APPROVED, "pay": ClaimStatus.PAID}


@pytest.mark.parametrize("action", ["district", "bureau", "pay"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_takes_each_step_on_the_pages(world, persona, action):
    SubsidyClaim.objects.filter(pk=world.claim_a.pk).update(status=READY[action])
    body, allowed = STEP_POSTS[action]
    response = browser(world, persona).post(f"/subsidies/claims/{world.claim_a.pk}/{action}/", body)
    assert_refused(response, allowed.get(persona, 403))
    world.claim_a.refresh_from_db()
    assert world.claim_a.status == (AFTER[action] if allowed.get(persona) == 302 else READY[action])


def test_the_district_page_rejects_with_a_reason_and_the_learner_sees_it(world):
    official = browser(world, "official")
    url = f"/subsidies/claims/{world.claim_a.pk}/district/"
    response = official.post(url, {"decision": "reject", "reason": ""})
    assert response.status_code == 400 and "请填写不通过的原因" in response.content.decode()
    official.post(url, {"decision": "reject", "reason": "证书编号与档案不符"})
    world.claim_a.refresh_from_db()
    assert (world.claim_a.status, world.claim_a.reason) == (ClaimStatus.REJECTED, "证书编号与档案不符")
    assert official.get(f"/subsidies/claims/{world.claim_b.pk}/district/").status_code == 405
    assert (
        official.post(f"/subsidies/claims/{world.claim_b.pk}/district/", {"decision": "approve"}).status_code
        == 404
    )
    mine = browser(world, "learner_a").get("/subsidies/me/").content.decode()
    assert "证书编号与档案不符" in mine


def test_a_refused_approval_is_shown_and_nothing_changes(world):
    CoursePage.objects.filter(pk=world.class_a.course_id).update(subsidy_eligible=False)
    official = browser(world, "official")
    page = official.get(f"/subsidies/claims/{world.claim_a.pk}/").content.decode()
    assert "规则复核不通过" in page
    response = official.post(f"/subsidies/claims/{world.claim_a.pk}/district/", {"decision": "approve"})
    assert response.status_code == 409 and "不属于补贴性职业技能培训" in response.content.decode()
    world.claim_a.refresh_from_db()
    assert world.claim_a.status == ClaimStatus.SUBMITTED


def test_the_history_names_every_role_of_institutions_roles():
    assert set(ActorRole.values) == {role.value for role in roles.Role}


def test_the_claim_page_shows_the_training_the_evidence_and_the_history(world):
    lesson = world.class_a.course.lessons.first()
    session = uuid.uuid4()
    for index, (channel, status) in enumerate([("app", "accepted"), ("app", "accepted"), ("pc", "rejected")]):
        ProgressEvent.objects.create(
            learner=world.learner_a,
            lesson_ref=lesson.pk,
            session=session if channel == "app" else uuid.uuid4(),
            channel=channel,
            type="heartbeat",
            client_at=timezone.now(),
            received_at=timezone.now(),
            status=status,
            credited_seconds=20 * (index + 1),
        )
    services.claim_district_decide(
        claim_id=world.claim_a.pk, user=world.official, approve=True, reason="材料齐全"
    )
    page = browser(world, "bureau").get(f"/subsidies/claims/{world.claim_a.pk}/").content.decode()
    assert "共 3 条：有效 2，拒收 1" in page
    assert "app 2" in page
    assert world.learner_a.entry.certificate.number in page
    assert "已达标" in page
    assert "材料齐全" in page and f"{world.official.username}（区县人社）" in page
    assert world.learner_a.id_number not in page  # masked
    assert "尚未导入社保名单" in page
    assert f'action="/subsidies/claims/{world.claim_a.pk}/bureau/"' in page


# --- staff: the class's bulk claim ----------------------------------------------------------------

CLASS_PAGE = {"staff_a": 200, "staff_b": 404, "anonymous": "login"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_classes_staff_open_its_claim_page_and_claim_in_bulk(world, persona):
    SubsidyClaim.objects.update(status=ClaimStatus.REJECTED, reason="退回重报")
    client = browser(world, persona)
    url = f"/subsidies/classes/{world.class_a.pk}/"
    assert_refused(client.get(url), CLASS_PAGE.get(persona, 403))
    assert_refused(client.post(url), CLASS_PAGE.get(persona, 403))
    claimed = SubsidyClaim.objects.filter(learner=world.learner_a, status=ClaimStatus.SUBMITTED).exists()
    assert claimed == (persona == "staff_a")


def test_the_class_page_lists_members_and_the_bulk_outcome(world):
    SubsidyClaim.objects.update(status=ClaimStatus.REJECTED, reason="退回重报")
    late = LearnerFactory(real_name="王小红")
    member(world.class_a, late)
    response = browser(world, "staff_a").post(f"/subsidies/classes/{world.class_a.pk}/")
    page = response.content.decode()
    assert "新提交 1 人，未提交 1 人" in page  # learner A again; the newcomer has not completed
    assert "王*红" in page and "尚未完成本班课程" in page
    assert "张明" not in page  # masked: 张*


# --- the bureau's export, streamed ----------------------------------------------------------------


def approve(world, claim):
    services.claim_district_decide(claim_id=claim.pk, user=world.official, approve=True)
    services.claim_bureau_decide(claim_id=claim.pk, user=world.bureau, approve=True)


def test_the_bureau_exports_approved_claims_as_a_streamed_neutralised_workbook(world):
    Learner.objects.filter(pk=world.learner_a.pk).update(real_name="=HYPERLINK(1)")
    approve(world, world.claim_a)
    response = browser(world, "bureau").get("/subsidies/export.xlsx")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "申领编号"
    assert [row[0] for row in rows[1:] if row and isinstance(row[0], int)] == [
        world.claim_a.pk
    ]  # approved only
    data = rows[1]
    assert data[1] == "'=HYPERLINK(1)"  # text, never a formula
    assert "*" in data[2] and world.learner_a.id_number not in data[2]
    assert Decimal(str(data[11])) == Decimal("1500")
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][11])) == Decimal("1500")


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_bureau_exports_and_imports_the_insurance_roster(world, persona):
    expected = {"bureau": 200, "anonymous": "login"}.get(persona, 403)
    client = browser(world, persona)
    assert_refused(client.get("/subsidies/export.xlsx"), expected)
    assert_refused(client.get("/subsidies/insurance/"), expected)
    roster = io.BytesIO("身份证号,参保单位,参保日期\n".encode())
    roster.name = "roster.csv"
    assert_refused(
        client.post("/subsidies/insurance/", {"file": roster}), 400 if persona == "bureau" else expected
    )


# --- the social-insurance roster and the cross-check ----------------------------------------------


def upload(client, text: str, name="社保名单.csv"):
    file = io.BytesIO(text.encode("utf-8-sig"))
    file.name = name
    return client.post("/subsidies/insurance/", {"file": file}, follow=True)


def test_the_roster_is_imported_by_hash_and_matched_at_review(world):
    Learner.objects.filter(pk=world.learner_a.pk).update(
        target_group=TargetGroup.UNEMPLOYED, employer="淄博示范化工有限公司"
    )
    bureau = browser(world, "bureau")
    roster = (
        f"公民身份号码,单位名称,参保起始日期\n{world.learner_a.id_number},淄博某陶瓷有限公司,2019-03-01\n"
    )
    response = upload(bureau, roster)
    assert "已导入 1 人：新增 1，更新 0" in response.content.decode()
    record = InsuranceRecord.objects.get()
    assert record.id_number_hash == blind_index(world.learner_a.id_number)
    assert world.learner_a.id_number not in str(InsuranceRecord.objects.values().get())
    page = browser(world, "official").get(f"/subsidies/claims/{world.claim_a.pk}/").content.decode()
    assert "社保名单中有参保记录" in page and "淄博某陶瓷有限公司" in page
    assert "登记为失业人员" in page and "不一致" in page
    staff_page = browser(world, "staff_a").get(f"/subsidies/claims/{world.claim_a.pk}/").content.decode()
    assert "淄博某陶瓷有限公司" not in staff_page  # the cross-check is for reviewers
    # A later roster updates the person; learner B is not on it.
    upload(bureau, f"身份证号,参保单位,参保日期\n{world.learner_a.id_number},淄博新单位,2024/5/1\n")
    assert InsuranceRecord.objects.get().employer == "淄博新单位"
    assert InsuranceImport.objects.latest("uploaded_at").updated == 1
    page_b = browser(world, "bureau").get(f"/subsidies/claims/{world.claim_b.pk}/").content.decode()
    assert "社保名单中没有此人" in page_b and "登记为企业职工" in page_b


def test_a_roster_with_a_bad_row_imports_nothing_and_names_the_row(world):
    bureau = browser(world, "bureau")
    text = f"身份证号,参保单位,参保日期\n{world.learner_a.id_number},甲公司,2020-01-01\n370303199001011234,乙公司,明天\n"
    file = io.BytesIO(text.encode())
    file.name = "bad.csv"
    response = bureau.post("/subsidies/insurance/", {"file": file})
    assert response.status_code == 400
    assert "第 3 行" in response.content.decode()
    assert not InsuranceRecord.objects.exists() and not InsuranceImport.objects.exists()


# --- the standards in the Django admin, and the demo ----------------------------------------------


def test_the_bureau_edits_standards_in_the_admin_and_auditors_only_read_them(world, client):
    SubsidyStandard.objects.all().delete()
    bureau = in_group("Bureau", is_staff=True)
    auditor = in_group("Auditors", is_staff=True)
    editor = in_group("Editors", is_staff=True)
    occupation = world.class_a.course.occupation
    client.force_login(bureau)
    add = client.post(
        "/django-admin/subsidies/subsidystandard/add/",
        {"occupation": occupation.pk, "level": "5", "amount": "1600", "note": "淄人社字〔2026〕1号"},
    )
    assert add.status_code == 302
    assert SubsidyStandard.objects.get().amount == Decimal("1600")
    client.force_login(auditor)
    assert client.get("/django-admin/subsidies/subsidystandard/").status_code == 200
    assert client.get("/django-admin/subsidies/subsidystandard/add/").status_code == 403
    client.force_login(editor)
    assert client.get("/django-admin/subsidies/subsidystandard/").status_code == 403


def test_the_demo_seeds_a_standard_per_subsidised_occupation_and_level_once():
    course = subsidised_course("4-10-01-05", amount=None)
    assert [s.amount for s in seed_subsidies()] == [Decimal("1500")]
    SubsidyStandard.objects.filter(occupation=course.occupation).update(amount=Decimal("1700"))
    assert seed_subsidies() == []
    assert SubsidyStandard.objects.get().amount == Decimal("1700")
