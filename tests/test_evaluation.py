"""Institutions' evaluation and exit (issue 20, "Evaluation and exit"; docs/evaluation.md):
the yearly scorecard of every institution (its figures
on a small world, the flags at the thresholds, one query budget whatever the number of
institutions), the bureau's decisions (reason required, suspension, removal from the
培训机构目录, append-only) and who sees what, persona by persona (tests/institutions_factories.World)."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from archive.certificates import certificate_revoke, external_certificate_record
from archive.models import Certificate, ExternalCertificate
from catalogs.models import InstitutionEntry
from evaluation import selectors, services
from evaluation.models import CourseRating, DecisionKind, EvaluationDecision
from evaluation.selectors import Scorecard, Thresholds, flag_reasons
from learners.models import Learner
from subsidies.models import ClaimStatus, SubsidyClaim
from tests.catalogs_factories import InstitutionEntryFactory
from tests.conftest import client_for
from tests.evaluation_helpers import (
    PERSONAS,
    PNG,
    SCORECARDS_URL,
    api_for,
    assert_status,
    browser,
    verified_learner,
)
from tests.institutions_factories import (
    InstitutionFactory,
    TrainingClassFactory,
    make_world,
    member,
    staff_of,
)
from tests.subsidies_factories import completed_entry, open_claim_on, subsidised_course
from vocabulary.people import District
from vocabulary.training import CertificateType

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def year():
    return selectors.current_year()


@pytest.fixture
def private_media(monkeypatch, tmp_path):
    """The external certificates' scans in a temporary folder (as tests/test_certificates.py)."""
    location = tmp_path / "private"
    monkeypatch.setattr(ExternalCertificate._meta.get_field("scan"), "storage", FileSystemStorage(location))
    return location


# --- the scorecard's figures ----------------------------------------------------------------------


@pytest.fixture
def scored(world, year, private_media):
    """Institution A runs, this year, class_a (learner_a, who did not complete) and class_x of a
    certified, subsidised course: p1 completed with a platform certificate, p2 completed with a
    certificate issued elsewhere recorded by A's staff, p3 completed but their certificate was
    revoked, p4 did not complete. A's class of last year (one completion) does not count.
    Institution B runs class_b (learner_b, who completed)."""
    course = subsidised_course("4-10-01-06")
    class_x = TrainingClassFactory(
        institution=world.institution_a,
        course=course,
        starts_on=dt.date(year, 1, 2),
        ends_on=dt.date(year, 1, 30),
    )
    people = [verified_learner(real_name=name) for name in ("王小明", "赵六", "孙七", "周八")]
    p1, p2, p3, p4 = people
    Learner.objects.filter(pk=p2.pk).update(verified=False)
    p2.refresh_from_db()
    for person in people:
        member(class_x, person)
    entries = {person: completed_entry(person, course) for person in (p1, p2, p3)}
    assert Certificate.objects.filter(entry=entries[p1]).exists()
    assert not Certificate.objects.filter(entry=entries[p2]).exists()
    external_certificate_record(
        learner=p2,
        type=CertificateType.SKILL_LEVEL,
        number="S000123",
        issuer="淄博市职业技能鉴定中心",
        issued_on=dt.date(year, 1, 1),
        scan=SimpleUploadedFile("scan.png", PNG, content_type="image/png"),
        by=world.staff_a,
        entry=entries[p2],
    )
    certificate_revoke(certificate=entries[p3].certificate, reason="材料不实", by=world.bureau)

    old_class = TrainingClassFactory(
        institution=world.institution_a,
        course=world.class_a.course,
        starts_on=dt.date(year - 1, 3, 1),
        ends_on=dt.date(year - 1, 4, 1),
    )
    veteran = verified_learner()
    member(old_class, veteran)
    completed_entry(veteran, world.class_a.course)

    completed_entry(world.learner_b, world.class_a.course)

    # Ratings: p1 4★ and p2 2★ for A this year; veteran's of last year for A; learner_b 5★ for B.
    services.rating_submit(learner_id=p1.pk, course_id=course.pk, stars=4)
    services.rating_submit(learner_id=p2.pk, course_id=course.pk, stars=2, comment="老师经常缺课")
    services.rating_submit(learner_id=veteran.pk, course_id=world.class_a.course.pk, stars=1)
    CourseRating.objects.filter(learner=veteran).update(
        created_at=dt.datetime(year - 1, 6, 1, tzinfo=selectors.CHINA)
    )
    services.rating_submit(learner_id=world.learner_b.pk, course_id=world.class_a.course.pk, stars=5)

    # Claims: p1's (submitted), p3's (rejected), learner_b's submitted by A's staff (A's by its
    # staff, B's by its member), and a claim of last year.
    open_claim_on(entries[p1], p1.user)
    open_claim_on(entries[p3], p3.user, status=ClaimStatus.REJECTED)
    claim_b = open_claim_on(world.learner_b.archive_entries.get(), world.staff_a)
    old = open_claim_on(veteran.archive_entries.get(), veteran.user)
    SubsidyClaim.objects.filter(pk=old.pk).update(
        submitted_at=dt.datetime(year - 1, 12, 31, 23, tzinfo=selectors.CHINA)
    )
    world.people, world.class_x, world.claim_b = people, class_x, claim_b
    return world


def cards_by_name(year, institutions=None):
    from institutions.models import Institution

    cards = selectors.scorecards(institutions or Institution.objects.all(), year)
    return {card.institution.name: card for card in cards}


def test_the_scorecard_counts_the_years_classes_trainees_completions_and_certificates(scored, year):
    cards = cards_by_name(year)
    a, b = cards["张店区职业培训学校"], cards["淄川区技工学校"]
    assert (a.classes, a.trainees, a.completions, a.certificates) == (2, 5, 3, 2)
    assert a.completion_rate == pytest.approx(0.6) and a.certificate_rate == pytest.approx(0.4)
    assert (a.ratings, a.average_rating) == (2, pytest.approx(3.0))
    assert (a.claims_submitted, a.claims_rejected) == (3, 1)
    assert a.rejection_rate == pytest.approx(1 / 3)
    assert a.fraud_findings == 0 and a.standing.status == "good"

    assert (b.classes, b.trainees, b.completions, b.certificates) == (1, 1, 1, 0)
    assert (b.ratings, b.average_rating) == (1, pytest.approx(5.0))
    assert (b.claims_submitted, b.claims_rejected) == (1, 0)

    last_year = cards_by_name(year - 1)
    assert (last_year["张店区职业培训学校"].classes, last_year["张店区职业培训学校"].completions) == (1, 1)
    assert last_year["张店区职业培训学校"].ratings == 1
    assert last_year["张店区职业培训学校"].claims_submitted == 1


def test_fraud_findings_are_a_hook_for_the_review_queue(scored, year, monkeypatch):
    assert selectors.fraud_findings_by_institution(year) == {}
    monkeypatch.setattr(selectors, "fraud_findings_by_institution", lambda y: {scored.institution_b.pk: 2})
    b = cards_by_name(year)["淄川区技工学校"]
    assert b.fraud_findings == 2
    # Fraud findings flag whatever the number of trainees.
    assert [reason.code for reason in b.reasons] == ["fraud_findings"]


# --- flags at the thresholds ------------------------------------------------------------------------


LIMITS = Thresholds(
    min_completion_rate=0.6,
    min_certificate_rate=0.5,
    min_rating=3.0,
    min_ratings=5,
    max_rejection_rate=0.2,
    max_fraud_findings=0,
    min_trainees=10,
)


def card(**figures) -> Scorecard:
    base = {
        "trainees": 10,
        "completions": 10,
        "certificates": 10,
        "claims_submitted": 10,
        "claims_rejected": 0,
    }
    return Scorecard(institution=None, year=2026, **{**base, **figures})


@pytest.mark.parametrize(
    ("figures", "codes"),
    [
        ({}, []),
        ({"completions": 6}, []),  # exactly 60 %: passes
        ({"completions": 5}, ["completion_rate"]),
        ({"certificates": 5}, []),
        ({"certificates": 4}, ["certificate_rate"]),
        ({"ratings": 5, "average_rating": 3.0}, []),
        ({"ratings": 5, "average_rating": 2.9}, ["rating"]),
        ({"ratings": 4, "average_rating": 1.0}, []),  # too few ratings to judge
        ({"claims_rejected": 2}, []),  # exactly 20 %
        ({"claims_rejected": 3}, ["rejection_rate"]),
        ({"claims_submitted": 0, "claims_rejected": 0}, []),
        ({"trainees": 9, "completions": 0, "certificates": 0}, []),  # below the minimum trainees
        ({"trainees": 9, "fraud_findings": 1}, ["fraud_findings"]),
        (
            {"completions": 1, "certificates": 1, "claims_rejected": 9, "ratings": 9, "average_rating": 1.5},
            ["completion_rate", "certificate_rate", "rating", "rejection_rate"],
        ),
    ],
)
def test_the_flag_at_the_thresholds(figures, codes):
    assert [reason.code for reason in flag_reasons(card(**figures), LIMITS)] == codes


def test_the_thresholds_are_settings(scored, year, settings):
    # A: 5 trainees; 60 % completion, 40 % certificates, 3.0 over 2 ratings, 33 % rejected.
    settings.EVALUATION_MIN_TRAINEES = 5
    settings.EVALUATION_MIN_RATINGS = 2
    a = cards_by_name(year)["张店区职业培训学校"]
    assert [reason.code for reason in a.reasons] == ["certificate_rate", "rejection_rate"]
    assert "40%" in a.reasons[0].detail and "50%" in a.reasons[0].detail
    settings.EVALUATION_MIN_CERTIFICATE_RATE = 0.4
    settings.EVALUATION_MAX_REJECTION_RATE = 0.34
    settings.EVALUATION_MIN_RATING = 3.01
    assert [reason.code for reason in cards_by_name(year)["张店区职业培训学校"].reasons] == ["rating"]
    settings.EVALUATION_MIN_TRAINEES = 6
    assert cards_by_name(year)["张店区职业培训学校"].reasons == []


def test_the_list_shows_flagged_institutions_first(world, year, settings):
    settings.EVALUATION_MIN_TRAINEES = 1
    settings.EVALUATION_MIN_CERTIFICATE_RATE = 0  # the course gives no certificate
    completed_entry(world.learner_a, world.class_a.course)  # A: 100 %; B: 0 %
    rows = client_for(world.bureau).get(SCORECARDS_URL).json()["results"]
    assert [row["institution"]["name"] for row in rows] == ["淄川区技工学校", "张店区职业培训学校"]
    flagged = rows[0]
    assert flagged["flagged"] is True and flagged["completion_rate"] == 0.0
    assert {reason["code"] for reason in flagged["reasons"]} >= {"completion_rate"}
    assert rows[1]["flagged"] is False and rows[1]["completion_rate"] == 1.0
    page = browser(world, "bureau").get("/evaluation/").content.decode()
    assert page.index("淄川区技工学校") < page.index("张店区职业培训学校")


def test_the_api_filters_by_year_and_district_and_refuses_what_is_not_one(world, year):
    api = client_for(world.bureau)
    rows = api.get(SCORECARDS_URL, {"district": District.ZICHUAN, "year": year}).json()["results"]
    assert [row["institution"]["id"] for row in rows] == [world.institution_b.pk]
    assert rows[0]["year"] == year and rows[0]["classes"] == 1 and rows[0]["trainees"] == 1
    assert api.get(SCORECARDS_URL, {"year": year + 1}).json()["results"][0]["classes"] == 0
    bad_year = api.get(SCORECARDS_URL, {"year": "20x6"})
    assert bad_year.status_code == 400 and "year" in bad_year.json()["errors"]
    bad_district = api.get(SCORECARDS_URL, {"district": "火星区"})
    assert bad_district.status_code == 400 and "district" in bad_district.json()["errors"]


def test_the_scorecard_list_costs_the_same_queries_for_2_or_6_institutions(
    scored, year, django_assert_max_num_queries
):
    api = client_for(scored.bureau)
    page = browser(scored, "bureau")
    # token, roles, the scorecards (figures and standings in one query)
    with django_assert_max_num_queries(8) as api_queries:
        assert api.get(SCORECARDS_URL).json()["count"] == 2
    with django_assert_max_num_queries(12) as page_queries:
        assert page.get("/evaluation/").status_code == 200
    for n in range(4):
        institution = InstitutionFactory(district=District.BOSHAN)
        training_class = TrainingClassFactory(institution=institution, course=scored.class_x.course)
        learner = verified_learner()
        member(training_class, learner)
        entry = completed_entry(learner, scored.class_x.course)
        services.rating_submit(learner_id=learner.pk, course_id=entry.course_id, stars=1 + n)
        open_claim_on(entry, learner.user)
        services.decision_record(
            institution=institution, year=year, kind=DecisionKind.WARNING, reason="整改", user=scored.bureau
        )
    with django_assert_max_num_queries(len(api_queries)):
        rows = api.get(SCORECARDS_URL).json()["results"]
    assert len(rows) == 6 and {row["standing"]["status"] for row in rows} == {"good", "warned"}
    with django_assert_max_num_queries(len(page_queries)):
        assert page.get("/evaluation/").status_code == 200


# --- decisions -------------------------------------------------------------------------------------


def test_a_decision_needs_a_reason(world, year):
    client = browser(world, "bureau")
    url = f"/evaluation/institutions/{world.institution_a.pk}/decisions/"
    response = client.post(url, {"kind": "warning", "reason": "   ", "year": year})
    assert response.status_code == 400 and not EvaluationDecision.objects.exists()
    with pytest.raises(services.DecisionInvalid) as refused:
        services.decision_record(
            institution=world.institution_a, year=year, kind="warning", reason="", user=world.bureau
        )
    assert refused.value.field == "reason"
    with pytest.raises(services.DecisionInvalid) as refused:
        services.decision_record(
            institution=world.institution_a,
            year=year,
            kind="warning",
            reason="x",
            until=dt.date(year + 1, 1, 1),
            user=world.bureau,
        )
    assert refused.value.field == "until"
    response = client.post(url, {"kind": "warning", "reason": "结业率偏低，限期整改", "year": year})
    assert response.status_code == 302
    decision = EvaluationDecision.objects.get()
    assert (decision.kind, decision.year, decision.decided_by) == ("warning", year, world.bureau)
    assert selectors.institution_standing(world.institution_a.pk).status == "warned"
    assert not selectors.institution_suspended(world.institution_a.pk)


def test_a_suspension_refuses_orders_until_its_day_or_until_lifted(world, year):
    institution = world.institution_a
    assert selectors.institution_suspended(institution.pk) is False
    services.decision_record(
        institution=institution, year=year, kind="suspension", reason="虚报学员", user=world.bureau
    )
    assert selectors.institution_suspended(institution.pk) is True
    # A warning later does not end the suspension; lifting does.
    services.decision_record(
        institution=institution, year=year, kind="warning", reason="再次提醒", user=world.bureau
    )
    assert selectors.institution_suspended(institution.pk) is True
    services.decision_record(
        institution=institution, year=year, kind="lifted", reason="已整改", user=world.bureau
    )
    assert selectors.institution_suspended(institution.pk) is False
    # Until a day: suspended through that day, not after.
    today = selectors.today()
    services.decision_record(
        institution=institution, year=year, kind="suspension", reason="暂停", until=today, user=world.bureau
    )
    standing = selectors.institution_standing(institution.pk)
    assert standing.status == "suspended" and standing.until == today
    assert selectors.institution_suspended(institution.pk) is True
    EvaluationDecision.objects.create(
        institution=institution,
        year=year,
        kind="suspension",
        reason="已到期",
        until=today - dt.timedelta(days=1),
        decided_by=world.bureau,
    )
    assert selectors.institution_suspended(institution.pk) is False
    assert selectors.institution_suspended(world.institution_b.pk) is False


def test_removal_unpublishes_the_institutions_directory_entries_and_suspends_it(world, year):
    institution = world.institution_a
    this_year = InstitutionEntryFactory(credit_code=institution.credit_code, year=year, name=institution.name)
    earlier = InstitutionEntryFactory(
        credit_code=institution.credit_code, year=year - 1, name=institution.name
    )
    other = InstitutionEntryFactory(credit_code=world.institution_b.credit_code, year=year)
    assert this_year.live and earlier.live and other.live

    client = browser(world, "bureau")
    response = client.post(
        f"/evaluation/institutions/{institution.pk}/decisions/",
        {"kind": "removal", "reason": "多次虚报培训人数", "year": year},
    )
    assert response.status_code == 302
    live = dict(InstitutionEntry.objects.values_list("pk", "live"))
    assert live == {this_year.pk: False, earlier.pk: True, other.pk: True}
    assert selectors.institution_suspended(institution.pk) is True
    assert selectors.institution_standing(institution.pk).status == "removed"
    # The institution stays active: its staff still see their classes and the decision.
    institution.refresh_from_db()
    assert institution.active
    mine = browser(world, "staff_a").get("/evaluation/mine/")
    assert mine.status_code == 200 and "多次虚报培训人数" in mine.content.decode()
    assert "移出培训机构目录" in mine.content.decode()
    # Lifting ends the suspension, and publishes nothing (editors publish again through review).
    services.decision_record(
        institution=institution, year=year, kind="lifted", reason="复核通过", user=world.bureau
    )
    assert not selectors.institution_suspended(institution.pk)
    assert not InstitutionEntry.objects.get(pk=this_year.pk).live


def test_decisions_are_append_only(world, year):
    decision = services.decision_record(
        institution=world.institution_a, year=year, kind="warning", reason="整改", user=world.bureau
    )
    decision.reason = "改写"
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(ValidationError):
        decision.delete()
    assert EvaluationDecision.objects.get().reason == "整改"


@pytest.mark.parametrize(
    "persona", ["learner_a", "staff_a", "hr_a", "official", "editor", "auditor", "anonymous"]
)
def test_only_the_bureau_decides(world, year, persona):
    response = browser(world, persona).post(
        f"/evaluation/institutions/{world.institution_a.pk}/decisions/",
        {"kind": "warning", "reason": "x", "year": year},
    )
    assert_status(response, "login" if persona == "anonymous" else 403)
    assert not EvaluationDecision.objects.exists()


def test_the_decision_form_is_the_bureaus_only(world):
    url = f"/evaluation/institutions/{world.institution_a.pk}/"
    assert 'action="/evaluation/institutions/' in browser(world, "bureau").get(url).content.decode()
    for persona in ("auditor", "official", "staff_a"):
        assert "/decisions/" not in browser(world, persona).get(url).content.decode()


# --- who sees what --------------------------------------------------------------------------------

PAGES = {
    # persona: (list, detail of A, detail of B, mine, export)
    "learner_a": (403, 403, 403, 403, 403),
    "staff_a": (403, 200, 404, 200, 403),
    "hr_a": (403, 403, 403, 403, 403),
    "official": (200, 200, 404, 403, 403),
    "editor": (403, 403, 403, 403, 403),
    "bureau": (200, 200, 200, 403, 200),
    "auditor": (200, 200, 200, 403, 403),
    "anonymous": ("login",) * 5,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_page_by_persona(world, persona):
    client = browser(world, persona)
    urls = [
        "/evaluation/",
        f"/evaluation/institutions/{world.institution_a.pk}/",
        f"/evaluation/institutions/{world.institution_b.pk}/",
        "/evaluation/mine/",
        "/evaluation/export.xlsx",
    ]
    for url, expected in zip(urls, PAGES[persona], strict=True):
        assert_status(client.get(url), expected)


API_SCOPE = {
    "learner_a": 403,
    "staff_a": ["张店区职业培训学校"],
    "hr_a": 403,
    "official": ["张店区职业培训学校"],
    "editor": 403,
    "bureau": ["张店区职业培训学校", "淄川区技工学校"],
    "auditor": ["张店区职业培训学校", "淄川区技工学校"],
    "anonymous": 401,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_scorecards_api_by_persona(world, persona):
    response = api_for(world, persona).get(SCORECARDS_URL)
    expected = API_SCOPE[persona]
    if isinstance(expected, int):
        assert response.status_code == expected and response.json()["detail"]
        return
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert sorted(row["institution"]["name"] for row in body["results"]) == expected


def test_the_official_list_is_their_districts_only(world):
    page = browser(world, "official").get("/evaluation/").content.decode()
    assert "张店区职业培训学校" in page and "淄川区技工学校" not in page


def test_comments_are_shown_masked_to_the_institution_the_bureau_and_auditors_only(scored):
    url = f"/evaluation/institutions/{scored.institution_a.pk}/"
    for persona in ("staff_a", "bureau", "auditor"):
        html = browser(scored, persona).get(url).content.decode()
        assert "老师经常缺课" in html and "赵*" in html and "赵六" not in html
    mine = browser(scored, "staff_a").get("/evaluation/mine/").content.decode()
    assert "老师经常缺课" in mine
    official = browser(scored, "official").get(url).content.decode()
    assert official.count("老师经常缺课") == 0 and "学员评分" in official


def test_the_bureau_exports_the_years_scorecards_neutralised(world, year):
    InstitutionFactory(name='=HYPERLINK("http://evil.example/","核验")', district=District.ZHANGDIAN)
    response = browser(world, "bureau").get("/evaluation/export.xlsx", {"year": year})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "张店区职业培训学校" in names and "淄川区技工学校" in names
    assert '\'=HYPERLINK("http://evil.example/","核验")' in names
    assert all(
        not str(cell).startswith("=") for row in sheet.iter_rows(values_only=True) for cell in row if cell
    )


def test_staff_of_another_institution_see_their_own_scorecard_only(world):
    other = staff_of(world.institution_b)
    client = Client()
    client.force_login(other)
    page = client.get("/evaluation/mine/").content.decode()
    assert "淄川区技工学校" in page and "张店区职业培训学校" not in page
    assert client.get(f"/evaluation/institutions/{world.institution_a.pk}/").status_code == 404
