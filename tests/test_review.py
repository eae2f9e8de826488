"""The fraud review (issue 21, "Fraud signals → review queue"; docs/integrity.md): the queue,
heaviest first, by persona on the pages and the API (a district official sees their district's
cases only), the case page with its signals and the learner's timeline, and the decisions —
each kind, credit invalidated by a correction record of the archive log (never an edit), a
dishonesty record with it, the subsidy rules refusing afterwards, deciding twice refused, bad
input a 4xx with a message — and the audit trail of each view and decision."""

import datetime as dt
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from archive.chain import Kind
from archive.models import ArchiveEntry, LogRecord
from archive.verify import chain_verify
from audit.models import AuditEntry
from integrity import services
from integrity.models import CaseDecision, CaseStatus, CreditInvalidation, DishonestyRecord, SignalKind
from subsidies import services as subsidy_services
from subsidies.rules import ClaimRefused
from tests.factories import LearnerFactory
from tests.institutions_factories import api_for, browser, make_world, official_of, verified_learner
from tests.integrity_factories import event, lapse, span
from tests.review_factories import DAY, at, decided, open_case
from tests.subsidies_factories import claimable_entry, open_claim_on
from vocabulary.people import District

pytestmark = pytest.mark.django_db

CASES_URL = "/api/v1/review-cases/"
DENIED = ["learner_a", "staff_a", "hr_a", "editor"]


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def cases(world):
    """Three open cases: 张店区 weights 10 (learner A) and 50, 淄川区 30 (learner B)."""
    heavy = LearnerFactory(real_name="王大海", district=District.ZHANGDIAN)
    return {
        "a": open_case(world.learner_a, {"weight": 10}),
        "heavy": open_case(heavy, {"weight": 20}, {"kind": SignalKind.TOO_FAST, "weight": 30}),
        "b": open_case(world.learner_b, {"weight": 30}),
    }


def order_of(html: str, cases) -> list:
    """The cases in the order the page lists them."""
    found = {case.pk: html.find(f"/integrity/cases/{case.pk}/") for case in cases}
    return [pk for pk, at_ in sorted(found.items(), key=lambda item: item[1]) if at_ >= 0]


# --- the queue and its scope ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["bureau", "auditor"])
def test_the_bureau_and_auditors_see_every_case_heaviest_first(world, cases, persona):
    response = browser(world, persona).get("/integrity/cases/")
    assert response.status_code == 200
    html = response.content.decode()
    assert order_of(html, cases.values()) == [cases["heavy"].pk, cases["b"].pk, cases["a"].pk]
    assert "王*海" in html and "王大海" not in html  # names masked
    rows = api_for(world, persona).get(CASES_URL).json()["results"]
    assert [row["id"] for row in rows] == [cases["heavy"].pk, cases["b"].pk, cases["a"].pk]
    assert rows[0]["weight"] == 50 and rows[0]["signals"] == 2 and rows[0]["learner"]["name"] == "王*海"
    assert sorted(rows[0]["signal_kinds"]) == ["daily-cap", "too-fast"] and rows[0]["decision"] is None


def test_a_district_official_sees_their_districts_cases_only(world, cases):
    client = browser(world, "official")
    html = client.get("/integrity/cases/").content.decode()
    assert order_of(html, cases.values()) == [cases["heavy"].pk, cases["a"].pk]
    assert client.get(f"/integrity/cases/{cases['b'].pk}/").status_code == 404
    assert client.get(f"/integrity/cases/{cases['a'].pk}/").status_code == 200
    # ?district= is the bureau's filter: the official's reach stays their district.
    rows = api_for(world, "official").get(CASES_URL, {"district": District.ZICHUAN}).json()["results"]
    assert [row["id"] for row in rows] == [cases["heavy"].pk, cases["a"].pk]
    other = Client()
    other.force_login(official_of(District.ZICHUAN))
    assert other.get(f"/integrity/cases/{cases['a'].pk}/").status_code == 404
    assert order_of(other.get("/integrity/cases/").content.decode(), cases.values()) == [cases["b"].pk]


@pytest.mark.parametrize("persona", DENIED)
def test_other_roles_are_refused_the_queue_and_the_cases(world, cases, persona):
    client = browser(world, persona)
    assert client.get("/integrity/cases/").status_code == 403
    assert client.get(f"/integrity/cases/{cases['a'].pk}/").status_code == 403
    assert (
        client.post(f"/integrity/cases/{cases['a'].pk}/", {"kind": "dismiss", "reason": "x"}).status_code
        == 403
    )
    assert api_for(world, persona).get(CASES_URL).status_code == 403
    assert not CaseDecision.objects.exists()


def test_anonymous_visitors_are_asked_to_log_in(world, cases):
    client = Client()
    for url in ("/integrity/cases/", f"/integrity/cases/{cases['a'].pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert APIClient().get(CASES_URL).status_code in (401, 403)


def test_the_filters_status_and_district(world, cases):
    decided(cases["b"])
    client = browser(world, "bureau")
    assert order_of(client.get("/integrity/cases/").content.decode(), cases.values()) == [
        cases["heavy"].pk,
        cases["a"].pk,
    ]
    html = client.get("/integrity/cases/", {"status": "decided"}).content.decode()
    assert order_of(html, cases.values()) == [cases["b"].pk]
    html = client.get("/integrity/cases/", {"status": "", "district": District.ZICHUAN}).content.decode()
    assert order_of(html, cases.values()) == [cases["b"].pk]
    api = api_for(world, "bureau")
    assert [row["id"] for row in api.get(CASES_URL, {"status": "decided"}).json()["results"]] == [
        cases["b"].pk
    ]
    assert api.get(CASES_URL, {"status": "火星"}).status_code == 400
    assert api.get(CASES_URL, {"district": "火星区"}).status_code == 400
    assert client.get("/integrity/cases/", {"status": "火星", "page": "x"}).status_code == 200


# --- the case page ------------------------------------------------------------------------------


def test_the_case_page_shows_the_signals_and_the_timeline_and_is_audited(world):
    learner = verified_learner(real_name="赵志强", district=District.ZHANGDIAN)
    entry = claimable_entry(learner)
    lesson = entry.course.lessons.first()
    inside = event(learner, at(DAY, 20, 5), lesson_ref=lesson.pk, ip="203.0.113.9")
    before = event(learner, at(DAY - dt.timedelta(days=1), 23, 50), lesson_ref=lesson.pk)
    outside = event(learner, at(DAY + dt.timedelta(days=3), 9), lesson_ref=lesson.pk, ip="198.51.100.77")
    credited = span(learner, lesson, at(DAY, 20), 10)
    missed = lapse(learner, lesson, at(DAY, 20, 30))
    claim = open_claim_on(entry, learner.user)
    case = open_case(
        learner,
        {
            "kind": SignalKind.MISSED_CHECKS,
            "weight": 20,
            "evidence": {"events": [inside.pk], "lapses": [missed.pk], "missed_total": 1},
        },
    )
    response = browser(world, "official").get(f"/integrity/cases/{case.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "赵*强" in html and "赵志强" not in html
    assert f'href="#event-{inside.pk}"' in html and f'id="event-{inside.pk}"' in html
    assert "203.0.113.9" in html and lesson.title in html and "20:05:00" in html  # China's time
    assert f'id="event-{before.pk}"' in html  # the day before is in the window
    assert f'id="event-{outside.pk}"' not in html and "198.51.100.77" not in html
    assert f'id="span-{credited.pk}"' in html and f'id="lapse-{missed.pk}"' in html
    assert (
        f'id="entry-{entry.pk}"' in html
        and entry.certificate.number in html
        and f'id="claim-{claim.pk}"' in html
    )
    assert re.search(
        rf'name="entries" value="{entry.pk}"[^>]*checked', html
    )  # suggested: the evidence's course
    [viewed] = AuditEntry.objects.filter(subject="integrity.case")
    assert (viewed.action, viewed.object_id, viewed.actor) == ("view", str(case.pk), world.official)


def test_the_timeline_is_bounded_with_a_note(world, monkeypatch):
    from integrity import selectors

    monkeypatch.setattr(selectors, "TIMELINE_EVENTS", 3)
    case = open_case(world.learner_a)
    for minute in range(5):
        event(world.learner_a, at(DAY, 10, minute))
    html = browser(world, "bureau").get(f"/integrity/cases/{case.pk}/").content.decode()
    assert html.count('id="event-') == 3 and "只显示最早的 3 条" in html


# --- deciding -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dismiss", "warn", "refer"])
@pytest.mark.parametrize("persona", ["official", "bureau", "auditor"])
def test_each_reviewer_decides_a_case_and_the_decision_is_recorded(world, cases, kind, persona):
    case = cases["a"]
    response = browser(world, persona).post(
        f"/integrity/cases/{case.pk}/", {"kind": kind, "reason": "已核实"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED and case.decided_at is not None
    decision = CaseDecision.objects.get(case=case)
    assert (decision.kind, decision.reason, decision.decided_by) == (kind, "已核实", getattr(world, persona))
    [audit] = AuditEntry.objects.filter(subject="integrity.case", action="decision")
    assert (
        audit.object_id == str(case.pk)
        and audit.detail["kind"] == kind
        and audit.detail["reason"] == "已核实"
    )
    assert not CreditInvalidation.objects.exists() and not DishonestyRecord.objects.exists()
    page = browser(world, persona).get(f"/integrity/cases/{case.pk}/").content.decode()
    assert "已核实" in page and 'name="kind"' not in page  # decided: no form any more


def test_invalidating_credit_appends_a_correction_and_the_rules_then_refuse(world):
    learner = verified_learner(district=District.ZHANGDIAN)
    entry = claimable_entry(learner)
    other = claimable_entry(learner, "4-10-01-06")  # a training the signals do not name
    credited_before = entry.credited_seconds
    lesson = entry.course.lessons.first()
    suspicious = event(learner, at(DAY, 20), lesson_ref=lesson.pk)
    case = open_case(learner, {"kind": SignalKind.TOO_FAST, "evidence": {"events": [suspicious.pk]}})
    response = browser(world, "official").post(
        f"/integrity/cases/{case.pk}/",
        {"kind": "invalidate", "reason": "挂机刷课", "record": "on", "dishonesty_days": "30"},
    )
    assert response.status_code == 302
    # The default: the entries of the courses the evidence names, not the other one.
    [invalidation] = CreditInvalidation.objects.all()
    assert invalidation.entry == entry and invalidation.course_id == entry.course_id
    correction = invalidation.correction
    assert correction.kind == Kind.CORRECTION and correction.refers_to_id == entry.record_id
    assert '"credited_seconds":"0' in correction.content and "挂机刷课" in correction.content
    assert ArchiveEntry.objects.get(pk=entry.pk).credited_seconds == credited_before  # never edited
    assert chain_verify().ok
    record = DishonestyRecord.objects.get()
    assert record.learner == learner and record.decision == invalidation.decision
    assert (record.ends_on - record.starts_on).days == 29
    audit = AuditEntry.objects.get(subject="integrity.case", action="decision")
    assert audit.detail["entries"] == [entry.pk] and audit.detail["days"] == 30
    with pytest.raises(ClaimRefused) as refused:
        subsidy_services.claim_submit(learner_id=learner.pk, entry_id=entry.pk, user=learner.user)
    assert refused.value.code == "not_eligible" and "失信记录" in refused.value.detail
    DishonestyRecord.objects.update(lifted_at=record.created_at)  # the record aside: the hours refuse
    with pytest.raises(ClaimRefused) as refused:
        subsidy_services.claim_submit(learner_id=learner.pk, entry_id=entry.pk, user=learner.user)
    assert "不足" in refused.value.detail
    assert subsidy_services.claim_submit(learner_id=learner.pk, entry_id=other.pk, user=learner.user)


def test_chosen_entries_are_invalidated_and_an_entry_already_invalidated_is_skipped(world):
    learner = verified_learner()
    first, second = claimable_entry(learner), claimable_entry(learner, "4-10-01-06")
    case = open_case(learner)
    services.case_decide(
        case_id=case.pk, user=world.bureau, kind="invalidate", reason="核实", entry_ids=[first.pk]
    )
    assert list(CreditInvalidation.objects.values_list("entry_id", flat=True)) == [first.pk]
    again = open_case(learner, {"day": DAY + dt.timedelta(days=1)})
    services.case_decide(
        case_id=again.pk,
        user=world.bureau,
        kind="invalidate",
        reason="再核实",
        entry_ids=[first.pk, second.pk],
    )
    assert sorted(CreditInvalidation.objects.values_list("entry_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )
    assert LogRecord.objects.filter(kind=Kind.CORRECTION, refers_to=first.record).count() == 1
    assert chain_verify().ok


def test_invalidating_with_no_entry_named_or_suggested_is_refused(world):
    case = open_case(world.learner_a)
    response = browser(world, "bureau").post(
        f"/integrity/cases/{case.pk}/", {"kind": "invalidate", "reason": "x"}
    )
    assert response.status_code == 400 and "请选择要认定学时无效的档案条目" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not CaseDecision.objects.exists()


def test_deciding_twice_is_refused(world, cases):
    client = browser(world, "bureau")
    url = f"/integrity/cases/{cases['a'].pk}/"
    assert client.post(url, {"kind": "warn", "reason": "第一次"}).status_code == 302
    again = client.post(url, {"kind": "dismiss", "reason": "第二次"})
    assert again.status_code == 409 and "已经处理过" in again.content.decode()
    assert CaseDecision.objects.get().reason == "第一次"
    with pytest.raises(services.DecisionRefused) as refused:
        services.case_decide(case_id=cases["a"].pk, user=world.bureau, kind="warn", reason="x")
    assert refused.value.status == 409


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "warn", "reason": ""}, 'id="id_reason_error"'),
        ({"kind": "warn", "reason": "   "}, 'id="id_reason_error"'),
        ({"kind": "warn", "reason": "长" * 1001}, "1000"),
        ({"kind": "ban", "reason": "x"}, "ban"),
        ({"kind": "warn", "reason": "x", "record": "on", "dishonesty_days": "0"}, "1"),
        ({"kind": "warn", "reason": "x", "record": "on", "dishonesty_days": "99999"}, "1825"),
        ({"kind": "warn", "reason": "x", "record": "on", "dishonesty_days": "١٢"}, "阿拉伯数字"),
        ({"kind": "warn", "reason": "x", "record": "on", "dishonesty_days": ""}, "请填写期限"),
        ({"kind": "invalidate", "reason": "x", "entries": ["99999999"]}, "99999999"),
        ({"kind": "invalidate", "reason": "x", "entries": ["١"]}, "١"),
    ],
)
def test_bad_input_is_a_form_error_never_a_500(world, cases, data, message):
    response = browser(world, "bureau").post(f"/integrity/cases/{cases['a'].pk}/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CaseDecision.objects.exists() and not AuditEntry.objects.filter(action="decision").exists()


def test_an_entry_of_another_learner_is_refused(world, cases):
    someone_else = claimable_entry(verified_learner())
    with pytest.raises(services.DecisionRefused) as refused:
        services.case_decide(
            case_id=cases["a"].pk,
            user=world.bureau,
            kind="invalidate",
            reason="x",
            entry_ids=[someone_else.pk],
        )
    assert refused.value.status == 400 and "不属于本案学员" in refused.value.detail
    for days in (0, 1826, True, "3"):
        with pytest.raises(services.DecisionRefused):
            services.case_decide(
                case_id=cases["a"].pk, user=world.bureau, kind="warn", reason="x", dishonesty_days=days
            )
    assert not CaseDecision.objects.exists() and not CreditInvalidation.objects.exists()


def test_a_district_official_cannot_decide_another_districts_case(world, cases):
    response = browser(world, "official").post(
        f"/integrity/cases/{cases['b'].pk}/", {"kind": "warn", "reason": "x"}
    )
    assert response.status_code == 404 and not CaseDecision.objects.exists()


def test_the_demo_queue_is_seeded_once_and_zhangdian_sees_its_case(world):
    from integrity.demo import seed_integrity_demo
    from tests.factories import UserFactory

    LearnerFactory(user=UserFactory(username="lixiuying"), real_name="李秀英", district=District.ZHANGDIAN)
    LearnerFactory(user=UserFactory(username="liujianhua"), real_name="刘建华", district=District.ZICHUAN)
    assert len(seed_integrity_demo()) == 2
    assert seed_integrity_demo() == []
    rows = api_for(world, "official").get(CASES_URL).json()["results"]
    assert [row["learner"]["name"] for row in rows] == ["李*英"] and rows[0]["weight"] == 50
    assert api_for(world, "bureau").get(CASES_URL).json()["count"] == 2
