"""Dishonesty records (失信记录, issue 21; docs/integrity.md): entered by hand by the bureau (a
person by ID number, an enterprise by credit code, an institution from the list), lifted, read
by the bureau and auditors only; active from ``starts_on`` to ``ends_on`` inclusive in China's
date; and the rules that consult them — a person's claim, an institution's bulk claim and order
application, an enterprise's bulk demand are refused while a record is in force and allowed
again after it ends — and the institutions' scorecard that shows it and counts the findings."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from demand.models import TrainingDemand
from evaluation import selectors as evaluation
from integrity import selectors, services
from integrity.models import DecisionKind, DishonestyRecord
from orders import services as order_services
from subsidies import services as subsidy_services
from subsidies.rules import ClaimRefused
from tests.conftest import client_for
from tests.factories import OccupationFactory
from tests.institutions_factories import make_world, member
from tests.orders_factories import applied, in_catalog, published_offer
from tests.review_factories import CHINA, open_case, record_for
from tests.subsidies_factories import claimable_entry, subsidised_course
from vocabulary.training import Level

pytestmark = pytest.mark.django_db

RECORDS_URL = "/api/v1/dishonesty-records/"


@pytest.fixture
def world():
    world = make_world()
    world.learner_a.verified = True
    world.learner_a.save()
    return world


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def today() -> dt.date:
    return selectors.today()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


# --- entered by hand, listed, lifted ------------------------------------------------------------


def test_the_bureau_enters_a_record_of_a_person_by_id_number(world):
    client = web(world.bureau)
    assert client.get("/integrity/records/new/").status_code == 200
    response = client.post(
        "/integrity/records/new/",
        {
            "subject_kind": "person",
            "id_number": world.learner_a.id_number.lower(),
            "reason": "冒名顶替参加培训",
            "starts_on": today().isoformat(),
            "ends_on": (today() + days(364)).isoformat(),
        },
    )
    assert response.status_code == 302
    record = DishonestyRecord.objects.get()
    assert (record.learner, record.created_by, record.reason) == (
        world.learner_a,
        world.bureau,
        "冒名顶替参加培训",
    )
    audit = AuditEntry.objects.get(subject="integrity.record")
    assert (
        audit.action == "decision"
        and audit.object_id == str(record.pk)
        and audit.detail["action"] == "create"
    )
    listing = client.get("/integrity/records/").content.decode()
    assert "张*" in listing and "张明" not in listing and "生效中" in listing


def test_an_enterprise_by_credit_code_and_an_institution_from_the_list(world):
    client = web(world.bureau)
    base = {"reason": "虚报", "starts_on": today().isoformat(), "ends_on": today().isoformat()}
    assert (
        client.post(
            "/integrity/records/new/",
            {**base, "subject_kind": "enterprise", "credit_code": world.enterprise_a.credit_code},
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/integrity/records/new/",
            {**base, "subject_kind": "institution", "institution": world.institution_b.pk},
        ).status_code
        == 302
    )
    assert selectors.active_record_for_enterprise(world.enterprise_a.pk) is not None
    assert selectors.active_record_for_institution(world.institution_b.pk) is not None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"subject_kind": "person", "id_number": "370303199001019999"}, "没有这个身份证号的学员"),
        (
            {"subject_kind": "enterprise", "credit_code": "91370303XXXXXXXXXX"},
            "没有这个统一社会信用代码的企业",
        ),
        ({"subject_kind": "institution", "institution": "١"}, 'id="id_institution_error"'),
        ({"subject_kind": "institution"}, "请选择培训机构"),
        ({"subject_kind": "martian"}, "martian"),
        ({"subject_kind": "person", "ends": "before"}, "截止日期不能早于生效日期"),
        ({"subject_kind": "person", "reason": ""}, 'id="id_reason_error"'),
        ({"subject_kind": "person", "starts_on": "2026-02-30"}, "有效的日期"),
    ],
)
def test_a_wrong_record_is_a_form_error(world, data, message):
    data = dict(data)
    form = {
        "id_number": world.learner_a.id_number,
        "reason": data.pop("reason", "虚报"),
        "starts_on": data.pop("starts_on", today().isoformat()),
        "ends_on": (today() - days(1) if data.pop("ends", "") else today() + days(10)).isoformat(),
        **data,
    }
    response = web(world.bureau).post("/integrity/records/new/", form)
    assert response.status_code == 400 and message in response.content.decode()
    assert not DishonestyRecord.objects.exists()


@pytest.mark.parametrize("persona", ["learner_a", "staff_a", "hr_a", "editor", "official"])
def test_only_the_bureau_and_auditors_read_records_and_only_the_bureau_writes(world, persona):
    record = record_for(world.institution_a, by=world.bureau, starts_on=today(), ends_on=today())
    who = getattr(world, persona)
    client = web(who.user if persona == "learner_a" else who)
    for url in ("/integrity/records/", "/integrity/records/new/", f"/integrity/records/{record.pk}/lift/"):
        assert client.get(url).status_code == 403
    assert client_for(who.user if persona == "learner_a" else who).get(RECORDS_URL).status_code == 403
    auditor = web(world.auditor)
    assert auditor.get("/integrity/records/").status_code == 200
    assert auditor.get("/integrity/records/new/").status_code == 403
    assert auditor.post(f"/integrity/records/{record.pk}/lift/", {"lift_reason": "x"}).status_code == 403
    anonymous = Client().get("/integrity/records/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert APIClient().get(RECORDS_URL).status_code in (401, 403)


def test_the_api_lists_records_masked_and_filtered(world):
    person = record_for(world.learner_a, by=world.bureau, starts_on=today(), ends_on=today() + days(9))
    expired = record_for(
        world.institution_a, by=world.bureau, starts_on=today() - days(9), ends_on=today() - days(1)
    )
    rows = client_for(world.auditor).get(RECORDS_URL).json()["results"]
    assert {row["id"] for row in rows} == {person.pk, expired.pk}
    mine = next(row for row in rows if row["id"] == person.pk)
    assert mine["subject_name"] == "张*" and mine["state"] == "active" and mine["active"] is True
    active = client_for(world.bureau).get(RECORDS_URL, {"active": "true"}).json()["results"]
    assert [row["id"] for row in active] == [person.pk]
    kind = client_for(world.bureau).get(RECORDS_URL, {"kind": "institution"}).json()["results"]
    assert [row["id"] for row in kind] == [expired.pk]
    assert client_for(world.bureau).get(RECORDS_URL, {"active": "yes"}).status_code == 400
    page = (
        web(world.bureau).get("/integrity/records/", {"kind": "institution", "active": "0"}).content.decode()
    )
    assert world.institution_a.name in page and "张*" not in page and "已到期" in page


def test_the_bureau_lifts_a_record_with_a_reason(world):
    record = record_for(world.learner_a, by=world.bureau, starts_on=today(), ends_on=today() + days(30))
    client = web(world.bureau)
    url = f"/integrity/records/{record.pk}/lift/"
    assert client.post(url, {"lift_reason": ""}).status_code == 400
    assert client.post(url, {"lift_reason": "登记有误"}).status_code == 302
    record.refresh_from_db()
    assert record.lifted_by == world.bureau and record.lift_reason == "登记有误"
    assert selectors.active_record_for_learner(world.learner_a.pk) is None
    again = client.post(url, {"lift_reason": "再撤"})
    assert again.status_code == 409 and "已经撤销" in again.content.decode()
    assert AuditEntry.objects.filter(subject="integrity.record", detail__action="lift").count() == 1
    assert client.get("/integrity/records/99999999/lift/").status_code == 404


# --- the active window ---------------------------------------------------------------------------


def test_a_record_is_active_from_its_first_to_its_last_day_in_chinas_date(world, monkeypatch):
    first, last = dt.date(2026, 3, 12), dt.date(2026, 3, 20)
    record = record_for(world.learner_a, by=world.bureau, starts_on=first, ends_on=last)
    learner = world.learner_a.pk
    assert selectors.active_record_for_learner(learner, on=first - days(1)) is None
    assert selectors.active_record_for_learner(learner, on=first) == record
    assert selectors.active_record_for_learner(learner, on=last) == record
    assert selectors.active_record_for_learner(learner, on=last + days(1)) is None
    # 00:30 on its first day in China is still the day before in UTC: it is in force.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 3, 12, 0, 30, tzinfo=CHINA))
    assert selectors.today() == first and selectors.active_record_for_learner(learner) == record
    # 00:30 the day after its last day: it is not.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 3, 21, 0, 30, tzinfo=CHINA))
    assert selectors.active_record_for_learner(learner) is None
    assert selectors.record_state(record) == "expired"


# --- the rules refuse, then allow again -----------------------------------------------------------


def test_a_person_with_a_record_cannot_claim_until_it_ends(world):
    entry = claimable_entry(world.learner_a)
    record = record_for(world.learner_a, by=world.bureau, starts_on=today() - days(3), ends_on=today())
    with pytest.raises(ClaimRefused) as refused:
        subsidy_services.claim_submit(
            learner_id=world.learner_a.pk, entry_id=entry.pk, user=world.learner_a.user
        )
    assert refused.value.code == "not_eligible"
    assert "失信记录" in refused.value.detail and today().isoformat() in refused.value.detail
    DishonestyRecord.objects.filter(pk=record.pk).update(ends_on=today() - days(1))  # it has ended
    assert subsidy_services.claim_submit(
        learner_id=world.learner_a.pk, entry_id=entry.pk, user=world.learner_a.user
    )


def test_my_subsidies_says_so_before_a_claim_is_tried(world):
    entry = claimable_entry(world.learner_a)
    page = web(world.learner_a.user)
    before = page.get("/subsidies/me/").content.decode()
    assert "失信记录" not in before and f'value="{entry.pk}"' in before  # a claim button
    record_for(world.learner_a, by=world.bureau, starts_on=today(), ends_on=today() + days(30))
    after = page.get("/subsidies/me/").content.decode()
    assert "失信记录" in after and (today() + days(30)).isoformat() in after
    assert f'value="{entry.pk}"' not in after


def test_an_institution_with_a_record_cannot_bulk_claim_for_its_class(world):
    claimable_entry(world.learner_a)
    training_class = world.class_a
    training_class.course = world.learner_a.archive_entries.get().course
    training_class.save()
    record = record_for(world.institution_a, by=world.bureau, starts_on=today(), ends_on=today() + days(5))
    [outcome] = subsidy_services.claims_bulk_submit_for_class(
        training_class=training_class, user=world.staff_a
    )
    assert outcome.claim is None and outcome.code == "not_eligible" and "失信记录" in outcome.detail
    DishonestyRecord.objects.filter(pk=record.pk).update(lifted_at=timezone.now())
    [outcome] = subsidy_services.claims_bulk_submit_for_class(
        training_class=training_class, user=world.staff_a
    )
    assert outcome.claim is not None


def test_an_institution_with_a_record_cannot_take_orders(world):
    course = subsidised_course("4-10-01-05", Level.FIVE)
    in_catalog(world.institution_a, course.occupation)
    offer = published_offer(world.bureau, course.occupation)
    record = record_for(world.institution_a, by=world.bureau, starts_on=today(), ends_on=today() + days(5))
    with pytest.raises(order_services.OrderRefused) as refused:
        applied(offer, world.institution_a, world.staff_a, course)
    assert refused.value.code == "institution_not_eligible" and "失信记录" in refused.value.detail
    DishonestyRecord.objects.filter(pk=record.pk).update(
        starts_on=today() - days(9), ends_on=today() - days(1)
    )
    assert applied(offer, world.institution_a, world.staff_a, course).pk


def test_an_enterprise_with_a_record_cannot_state_demand(world):
    OccupationFactory(code="4-10-01-05", name="养老护理员")
    record = record_for(world.enterprise_a, by=world.bureau, starts_on=today(), ends_on=today() + days(5))
    client = web(world.hr_a)
    response = client.post("/demand/enterprise/", {"lines": "4-10-01-05, 12"})
    assert response.status_code == 403 and "失信记录" in response.content.decode()
    assert not TrainingDemand.objects.exists()
    DishonestyRecord.objects.filter(pk=record.pk).update(
        ends_on=today() - days(1), starts_on=today() - days(2)
    )
    assert client.post("/demand/enterprise/", {"lines": "4-10-01-05, 12"}).status_code == 302
    assert TrainingDemand.objects.get().head_count == 12


# --- the scorecard ---------------------------------------------------------------------------------


def test_the_scorecard_shows_an_institutions_record_and_counts_the_findings(world):
    year = today().year
    record_for(world.institution_a, by=world.bureau, starts_on=today(), ends_on=today() + days(30))
    card = evaluation.scorecard(world.institution_a, year)
    assert card.flagged and "dishonesty_record" in [reason.code for reason in card.reasons]
    page = web(world.bureau).get(f"/evaluation/institutions/{world.institution_a.pk}/").content.decode()
    assert "失信记录" in page
    assert "dishonesty_record" not in [
        r.code for r in evaluation.scorecard(world.institution_b, year).reasons
    ]
    # Findings: non-dismissed decisions on learners of the institution's classes, in the year.
    for n, kind in enumerate((DecisionKind.WARN, DecisionKind.DISMISS)):
        case = open_case(world.learner_a, {"day": dt.date(2025, 3, 1 + n)})
        services.case_decide(case_id=case.pk, user=world.bureau, kind=kind, reason="核实")
    member(world.class_b, world.learner_a)  # a member of B's class too: counted for both
    assert evaluation.fraud_findings_by_institution(year) == {
        world.institution_a.pk: 1,
        world.institution_b.pk: 1,
    }
    assert evaluation.fraud_findings_by_institution(year - 1) == {}
    assert evaluation.scorecard(world.institution_a, year).fraud_findings == 1
