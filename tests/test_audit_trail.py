"""The audit trail (操作记录, issue 21): every export and every decision of the existing pages and
endpoints writes one entry naming who, what and from where, and a refused one writes none; the
auditor reads the trail on /audit/ (?log=actions) and at GET /api/v1/audit/actions/, filtered by
action, subject, account and China's days; everyone else is refused. No ID number or phone in an
entry. The reports and fraud review write their own entries (tests/test_reports.py, …)."""

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client

from archive.models import Certificate
from audit.models import AuditAction, AuditEntry
from audit.services import audit_record
from courses.models import CoursePage
from evaluation.selectors import current_year
from learners.models import Learner
from subsidies import services as subsidy_services
from subsidies.models import SubsidyStandard
from tests.conftest import client_for
from tests.institutions_factories import in_group, make_world
from tests.orders_factories import applied, draft_offer, in_catalog, published_offer
from tests.subsidies_factories import china, completed_entry, subsidised_course

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


@pytest.fixture
def world():
    """tests/institutions_factories.World, its two learners verified, and learner A with a
    subsidy claim of the class's course (submitted) and a certificate."""
    world = make_world()
    course = world.class_a.course
    CoursePage.objects.filter(pk=course.pk).update(subsidy_eligible=True)
    SubsidyStandard.objects.create(occupation=course.occupation, level=course.level, amount=Decimal("1500"))
    Learner.objects.filter(pk__in=[world.learner_a.pk, world.learner_b.pk]).update(verified=True)
    world.learner_a.refresh_from_db()
    entry = completed_entry(world.learner_a, course)
    world.claim = subsidy_services.claim_submit(
        learner_id=world.learner_a.pk, entry_id=entry.pk, user=world.learner_a.user
    )
    world.certificate = Certificate.objects.get(
        entry=completed_entry(world.learner_a, subsidised_course("4-10-01-06"))
    )
    return world


def web(user) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(user)
    return client


def api(user):
    client = client_for(user)
    client.defaults["REMOTE_ADDR"] = ADDRESS
    return client


def district_approved(world):
    subsidy_services.claim_district_decide(claim_id=world.claim.pk, user=world.official, approve=True)


def bureau_approved(world):
    district_approved(world)
    subsidy_services.claim_bureau_decide(claim_id=world.claim.pk, user=world.bureau, approve=True)


def offers(world):
    occupation = subsidised_course("4-03-02-01").occupation
    in_catalog(world.institution_a, occupation)
    return occupation


def application(world):
    occupation = offers(world)
    offer = published_offer(world.bureau, occupation)
    course = CoursePage.objects.filter(occupation=occupation).first()
    return applied(offer, world.institution_a, world.staff_a, course)


# Each retrofitted place: (setup → the request, its user, the subject, the object id, what the
# detail must hold). ``request`` is (method, path, data, "web"|"api").
def case_district_page(w):
    return w.official, ("post", f"/subsidies/claims/{w.claim.pk}/district/", {"decision": "approve"}, "web")


def case_district_api(w):
    body = {"approve": False, "reason": "学时存疑"}
    return w.official, ("post", f"/api/v1/subsidy-claims/{w.claim.pk}/district-decision/", body, "api")


def case_bureau_page(w):
    district_approved(w)
    return w.bureau, ("post", f"/subsidies/claims/{w.claim.pk}/bureau/", {"decision": "approve"}, "web")


def case_bureau_api(w):
    district_approved(w)
    body = {"approve": True}
    return w.bureau, ("post", f"/api/v1/subsidy-claims/{w.claim.pk}/bureau-decision/", body, "api")


def case_pay_page(w):
    bureau_approved(w)
    return w.bureau, ("post", f"/subsidies/claims/{w.claim.pk}/pay/", {"reference": "ZB-PAY-1"}, "web")


def case_pay_api(w):
    bureau_approved(w)
    body = {"reference": "ZB-PAY-2"}
    return w.bureau, ("post", f"/api/v1/subsidy-claims/{w.claim.pk}/payment/", body, "api")


def case_subsidies_export(w):
    return w.bureau, ("get", "/subsidies/export.xlsx", {"year": "2026"}, "web")


def case_demand_export(w):
    return w.official, ("get", "/demand/overview/export.xlsx", {"status": "submitted"}, "web")


def case_scorecards_export(w):
    return w.bureau, ("get", "/evaluation/export.xlsx", {"year": str(current_year())}, "web")


def case_institution_decision(w):
    body = {"kind": "warning", "reason": "投诉较多", "year": current_year()}
    return w.bureau, ("post", f"/evaluation/institutions/{w.institution_a.pk}/decisions/", body, "web")


def case_revoke_page(w):
    return w.bureau, (
        "post",
        f"/certificates/{w.certificate.number}/revoke/",
        {"reason": "证书信息有误"},
        "web",
    )


def case_revoke_api(w):
    body = {"reason": "培训记录造假"}
    return w.bureau, ("post", f"/api/v1/certificates/{w.certificate.number}/revoke/", body, "api")


def case_certificate_pdf(w):
    return w.staff_a, ("get", f"/api/v1/certificates/{w.certificate.number}/pdf/", {}, "api")


def case_application_decision(w):
    pending = application(w)
    return w.official, ("post", f"/orders/applications/{pending.pk}/decide/", {"decision": "approve"}, "web")


def case_offer_publish(w):
    offer = draft_offer(w.bureau, offers(w))
    return w.bureau, ("post", f"/orders/offers/{offer.pk}/publish/", {}, "web")


def case_offer_close(w):
    offer = published_offer(w.bureau, offers(w))
    return w.bureau, ("post", f"/orders/offers/{offer.pk}/close/", {}, "web")


def case_class_dashboard_export(w):
    return w.staff_a, ("get", f"/institution/rosters/classes/{w.class_a.pk}/dashboard.xlsx", {}, "web")


def claim_id(w):
    return str(w.claim.pk)


def number(w):
    return w.certificate.number


REDIRECT = object()  # the object id is in the page the decision redirects to

# name: (case, action, subject, object id (of the world, or REDIRECT), what the detail holds)
CASES = {
    "claim district page": (case_district_page, "decision", "subsidies.claims", claim_id, {"step": "district", "decision": "approve", "status": "district_approved"}),
    "claim district API": (case_district_api, "decision", "subsidies.claims", claim_id, {"step": "district", "decision": "reject", "reason": "学时存疑", "status": "rejected"}),
    "claim bureau page": (case_bureau_page, "decision", "subsidies.claims", claim_id, {"step": "bureau", "decision": "approve", "status": "approved"}),
    "claim bureau API": (case_bureau_api, "decision", "subsidies.claims", claim_id, {"step": "bureau", "decision": "approve"}),
    "claim paid page": (case_pay_page, "decision", "subsidies.claims", claim_id, {"step": "payment", "reference": "ZB-PAY-1", "status": "paid"}),
    "claim paid API": (case_pay_api, "decision", "subsidies.claims", claim_id, {"step": "payment", "reference": "ZB-PAY-2", "status": "paid"}),
    "approved claims export": (case_subsidies_export, "export", "subsidies.claims", "", {"status": "approved", "year": 2026}),
    "training demands export": (case_demand_export, "export", "demand.training_demands", "", {"status": "submitted", "scope_district": "张店区"}),
    "scorecards export": (case_scorecards_export, "export", "evaluation.scorecards", "", {"district": ""}),
    "decision on an institution": (case_institution_decision, "decision", "evaluation.institutions", lambda w: str(w.institution_a.pk), {"kind": "warning", "reason": "投诉较多"}),
    "certificate revoked, page": (case_revoke_page, "decision", "archive.certificates", number, {"decision": "revoke", "reason": "证书信息有误"}),
    "certificate revoked, API": (case_revoke_api, "decision", "archive.certificates", number, {"decision": "revoke", "reason": "培训记录造假"}),
    "certificate PDF by staff": (case_certificate_pdf, "export", "archive.certificates", number, {"format": "pdf"}),
    "application decided": (case_application_decision, "decision", "orders.applications", REDIRECT, {"decision": "approve", "status": "approved"}),
    "offer published": (case_offer_publish, "decision", "orders.offers", REDIRECT, {"decision": "publish", "status": "published"}),
    "offer closed": (case_offer_close, "decision", "orders.offers", REDIRECT, {"decision": "close", "status": "closed"}),
    "class dashboard export": (case_class_dashboard_export, "export", "rosters.class_dashboard", lambda w: str(w.class_a.pk), {}),
}  # fmt: skip


def send(user, request):
    method, path, data, kind = request
    if kind == "api":
        client = api(user)
        return (
            getattr(client, method)(path, data, format="json") if method == "post" else client.get(path, data)
        )
    response = getattr(web(user), method)(path, data)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response


@pytest.mark.parametrize("name", list(CASES))
def test_each_export_and_decision_writes_one_entry_naming_who_what_and_where(world, name):
    case, action, subject, object_of, detail = CASES[name]
    user, request = case(world)
    before = AuditEntry.objects.count()
    response = send(user, request)
    assert response.status_code in (200, 302), response.content[:300]
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.actor, entry.actor_name, entry.action, entry.subject) == (
        user,
        user.username,
        action,
        subject,
    )
    if object_of is REDIRECT:  # the application or offer decided: the page it goes back to
        assert f"/{entry.object_id}/" in response["Location"] and entry.object_id.isdigit()
    else:
        assert entry.object_id == (object_of(world) if callable(object_of) else object_of)
    assert entry.detail.items() >= detail.items()
    assert entry.ip == ADDRESS and entry.role
    written = json.dumps(entry.detail, ensure_ascii=False)
    for learner in (world.learner_a, world.learner_b):
        assert learner.id_number not in written and learner.phone not in written
        assert learner.id_number[-8:] not in written


def test_the_holder_downloading_their_own_certificate_is_not_an_export(world):
    response = api(world.learner_a.user).get(f"/api/v1/certificates/{world.certificate.number}/pdf/")
    assert response.status_code == 200
    assert not AuditEntry.objects.exists()


def refused_cases(w):
    pending = application(w)
    published = pending.offer
    return {
        "district rejects without a reason": (w.official, ("post", f"/subsidies/claims/{w.claim.pk}/district/", {"decision": "reject"}, "web"), 400),
        "district API without a reason": (w.official, ("post", f"/api/v1/subsidy-claims/{w.claim.pk}/district-decision/", {"approve": False}, "api"), 400),
        "bureau before the district": (w.bureau, ("post", f"/api/v1/subsidy-claims/{w.claim.pk}/bureau-decision/", {"approve": True}, "api"), 409),
        "paid before approval": (w.bureau, ("post", f"/subsidies/claims/{w.claim.pk}/pay/", {"reference": "X-1"}, "web"), 409),
        "auditor decides": (w.auditor, ("post", f"/api/v1/subsidy-claims/{w.claim.pk}/district-decision/", {"approve": True}, "api"), 403),
        "official exports claims": (w.official, ("get", "/subsidies/export.xlsx", {}, "web"), 403),
        "staff export demands": (w.staff_a, ("get", "/demand/overview/export.xlsx", {}, "web"), 403),
        "auditor exports scorecards": (w.auditor, ("get", "/evaluation/export.xlsx", {}, "web"), 403),
        "institution decision without reason": (w.bureau, ("post", f"/evaluation/institutions/{w.institution_a.pk}/decisions/", {"kind": "warning", "reason": " ", "year": current_year()}, "web"), 400),
        "revocation without reason": (w.bureau, ("post", f"/api/v1/certificates/{w.certificate.number}/revoke/", {}, "api"), 400),
        "learner revokes": (w.learner_a.user, ("post", f"/certificates/{w.certificate.number}/revoke/", {"reason": "x"}, "web"), 403),
        "other district's PDF": (w.staff_b, ("get", f"/api/v1/certificates/{w.certificate.number}/pdf/", {}, "api"), 403),
        "application rejected without reason": (w.official, ("post", f"/orders/applications/{pending.pk}/decide/", {"decision": "reject", "reason": " "}, "web"), 400),
        "offer published twice": (w.bureau, ("post", f"/orders/offers/{published.pk}/publish/", {}, "web"), 302),
        "other institution's dashboard": (w.staff_b, ("get", f"/institution/rosters/classes/{w.class_a.pk}/dashboard.xlsx", {}, "web"), 404),
    }  # fmt: skip


def test_a_refused_or_failed_export_or_decision_writes_nothing(world):
    cases = refused_cases(world)
    for name, (user, request, expected) in cases.items():
        response = send(user, request)
        assert response.status_code == expected, name
        assert not AuditEntry.objects.exists(), name


def test_the_revocation_of_a_revoked_certificate_writes_nothing_more(world):
    assert send(world.bureau, case_revoke_api(world)[1]).status_code == 200
    again = send(
        world.bureau,
        ("post", f"/api/v1/certificates/{world.certificate.number}/revoke/", {"reason": "再次"}, "api"),
    )
    assert again.status_code == 400
    assert AuditEntry.objects.count() == 1


# --- reading the trail ----------------------------------------------------------------------------


@pytest.fixture
def trail(world):
    """Four entries by three accounts over two of China's days (1 and 2 March 2026: the first
    late in the evening, which is still 1 March in UTC's afternoon)."""
    record = SimpleNamespace(META={"REMOTE_ADDR": ADDRESS})
    rows = [
        (world.bureau, AuditAction.EXPORT, "subsidies.claims", "", china(2026, 3, 1, 23, 30)),
        (
            world.official,
            AuditAction.DECISION,
            "subsidies.claims",
            str(world.claim.pk),
            china(2026, 3, 2, 0, 30),
        ),
        (world.bureau, AuditAction.DECISION, "evaluation.institutions", "7", china(2026, 3, 2, 9)),
        (world.staff_a, AuditAction.EXPORT, "rosters.class_dashboard", "3", china(2026, 3, 3, 9)),
    ]
    entries = []
    for user, action, subject, object_id, at in rows:
        entry = audit_record(record, action=action, subject=subject, object_id=object_id, user=user)
        AuditEntry.objects.filter(pk=entry.pk).update(at=at)
        entries.append(entry)
    world.entries = entries
    return world


PERSONAS = ["learner_a", "staff_a", "hr_a", "editor", "official", "bureau", "auditor"]
# institutions.roles.can_read_logs: auditors only (docs/permissions.md).
READERS = {"auditor"}


def user_of(world, persona):
    who = getattr(world, persona)
    return who.user if persona.startswith("learner_") else who


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_those_who_read_the_logs_read_the_trail(trail, persona):
    user = user_of(trail, persona)
    expected = 200 if persona in READERS else 403
    assert api(user).get("/api/v1/audit/actions/").status_code == expected
    assert web(user).get("/audit/", {"log": "actions"}).status_code == expected


def test_anonymous_visitors_are_asked_to_log_in(trail):
    assert Client().get("/api/v1/audit/actions/").status_code == 401
    response = Client().get("/audit/?log=actions")
    assert response.status_code == 302 and "/accounts/login/?next=" in response["Location"]


def test_the_api_lists_the_trail_newest_first_with_who_what_and_where(trail, django_assert_max_num_queries):
    client = api(trail.auditor)
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/audit/actions/").json()
    assert body["count"] == 4 and set(body) == {"count", "next", "previous", "results"}
    assert [row["subject"] for row in body["results"]] == [
        "rosters.class_dashboard",
        "evaluation.institutions",
        "subsidies.claims",
        "subsidies.claims",
    ]
    latest = body["results"][0]
    assert latest["actor"] == trail.staff_a.username and latest["role"] == "institution_staff"
    assert latest["action"] == "export" and latest["ip"] == ADDRESS and latest["detail"] == {}
    assert client.get("/api/v1/audit/actions/", {"page_size": 1}).json()["next"]


def subjects(client, **query):
    return [row["subject"] for row in client.get("/api/v1/audit/actions/", query).json()["results"]]


def test_the_api_filters_by_action_subject_account_object_and_chinas_days(trail):
    client = api(trail.auditor)
    assert subjects(client, action="decision") == ["evaluation.institutions", "subsidies.claims"]
    assert subjects(client, subject="subsidies") == ["subsidies.claims", "subsidies.claims"]
    assert subjects(client, subject="subsidies.claims", actor=trail.official.username) == ["subsidies.claims"]
    assert subjects(client, subject="subsid") == []  # a part of a name is no name
    assert subjects(client, object_id="7") == ["evaluation.institutions"]
    # 1 March 23:30 in China is 1 March; 2 March 00:30 in China is still 1 March in UTC.
    assert subjects(client, since="2026-03-01", until="2026-03-01") == ["subsidies.claims"]
    assert subjects(client, since="2026-03-02", until="2026-03-02") == [
        "evaluation.institutions",
        "subsidies.claims",
    ]
    assert subjects(client, since="2026-03-03") == ["rosters.class_dashboard"]
    assert subjects(client, until="2026-02-28") == []


@pytest.mark.parametrize(
    "query",
    [
        {"action": "delete"},
        {"since": "2026-13-01"},
        {"since": "0001-01-01"},
        {"until": "9999-12-31"},
        {"since": "2026-03-02", "until": "2026-03-01"},
        {"subject": "x" * 61},
        {"actor": "a\x00b"},
    ],
)
def test_a_filter_the_server_cannot_read_is_a_400_with_a_message(trail, query):
    api_response = api(trail.auditor).get("/api/v1/audit/actions/", query)
    assert api_response.status_code == 400 and api_response.json()["detail"]
    page = web(trail.auditor).get("/audit/", {"log": "actions", **query})
    assert page.status_code == 400 and 'role="alert"' in page.content.decode()
    assert 'id="audit-actions"' not in page.content.decode()


def test_the_page_shows_the_trail_with_its_filters_kept_in_the_pager(trail, monkeypatch):
    browser = web(trail.auditor)
    page = browser.get("/audit/").content.decode()
    assert "操作记录" in page and "?log=actions" in page
    page = browser.get("/audit/", {"log": "actions"}).content.decode()
    assert 'id="audit-actions"' in page and page.count('<tr><th scope="row">') == 4
    assert trail.staff_a.username in page and "班级学习情况" in page and ADDRESS in page
    assert "2026-03-02 00:30:00" in page  # shown in China's time
    page = browser.get(
        "/audit/", {"log": "actions", "subject": "subsidies", "since": "2026-03-02"}
    ).content.decode()
    assert page.count('<tr><th scope="row">') == 1 and "evaluation.institutions" not in page
    assert 'value="subsidies"' in page and 'value="2026-03-02"' in page
    monkeypatch.setattr("portal.views.LOG_PAGE_SIZE", 1)
    page = browser.get("/audit/", {"log": "actions", "action": "decision"}).content.decode()
    assert "log=actions&amp;action=decision&amp;page=2" in page
    last = browser.get("/audit/", {"log": "actions", "action": "decision", "page": 2}).content.decode()
    assert "page=3" not in last and "subsidies.claims" in last


def test_the_admin_shows_the_trail_read_only_to_auditors(trail):
    auditor = in_group("Auditors", is_staff=True)
    bureau = in_group("Bureau", is_staff=True)
    client = Client()
    client.force_login(auditor)
    assert client.get("/django-admin/audit/auditentry/").status_code == 200
    assert client.get("/django-admin/audit/auditentry/add/").status_code == 403
    entry = trail.entries[0]
    assert (
        client.post(f"/django-admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    client.force_login(bureau)
    assert client.get("/django-admin/audit/auditentry/").status_code == 403
