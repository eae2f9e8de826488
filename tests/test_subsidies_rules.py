"""The plan's subsidy rules, kept by one service (``subsidies.services.claim_submit``): each rule
accepts and refuses the right cases with its code, in the documented order; the rules are
checked again at each approval; two claims racing for one person on PostgreSQL never break them;
and a claim is checked in a constant number of queries whatever the person's history."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subsidies import rules, services
from subsidies.models import ClaimEvent, ClaimStatus, SubsidyClaim, SubsidyStandard
from subsidies.rules import ClaimFacts, ClaimRefused
from subsidies.selectors import ClaimCounts
from tests.factories import LearnerFactory, UserFactory
from tests.subsidies_factories import (
    OCCUPATIONS,
    china,
    claimable_entry,
    completed_entry,
    open_claim_on,
    subsidised_course,
)
from vocabulary.people import TargetGroup
from vocabulary.training import CertificateType, Level

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(db):
    """Verified (so certified) and of a target group the plan names."""
    return LearnerFactory(verified=True, target_group=TargetGroup.UNEMPLOYED)


def submit(learner, entry, user=None):
    return services.claim_submit(learner_id=learner.pk, entry_id=entry.pk, user=user or learner.user)


def refused_code(learner, entry) -> str:
    with pytest.raises(ClaimRefused) as refused:
        submit(learner, entry)
    assert refused.value.detail  # a sentence a person can act on
    return refused.value.code


# --- the rules as a function, and their order -------------------------------------------------

GOOD = ClaimFacts(
    course_gives_subsidy=True,
    has_standard=True,
    certificate_issued=True,
    credited_seconds=3600,
    required_seconds=3600,
    target_group=TargetGroup.RURAL_WORKER,
    year=2026,
    occupation="4-10-01-05 养老护理员",
    level_name="五级/初级工",
    claims_for_entry=0,
    claims_same_occupation_level=0,
    claims_in_year=2,
)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({}, None),
        ({"claims_for_entry": 1}, "already_claimed"),
        ({"course_gives_subsidy": False}, "not_eligible"),
        ({"has_standard": False}, "not_eligible"),
        ({"certificate_issued": False}, "not_eligible"),
        ({"credited_seconds": 3599.9}, "not_eligible"),
        ({"target_group": TargetGroup.OTHER}, "not_eligible"),
        ({"claims_same_occupation_level": 1}, "same_occupation_level"),
        ({"claims_in_year": 3}, "yearly_limit"),
        # The order: already claimed, then not eligible, then same occupation and level, then the year.
        ({"claims_for_entry": 1, "certificate_issued": False, "claims_in_year": 3}, "already_claimed"),
        ({"certificate_issued": False, "claims_same_occupation_level": 1}, "not_eligible"),
        ({"claims_same_occupation_level": 1, "claims_in_year": 3}, "same_occupation_level"),
    ],
)
def test_the_rules_answer_with_the_first_rule_that_fails(change, code):
    answer = rules.refusal(ClaimFacts(**{**GOOD.__dict__, **change}))
    assert (answer.code if answer else None) == code


def test_every_named_target_group_is_eligible_and_other_is_not():
    assert set(TargetGroup.values) - rules.ELIGIBLE_TARGET_GROUPS == {TargetGroup.OTHER}


def test_the_year_is_the_calendar_year_in_china():
    assert rules.completion_year(china(2026, 1, 1, 0, 30)) == 2026  # 2025-12-31 16:30 UTC
    assert rules.completion_year(china(2025, 12, 31, 23, 59)) == 2025


# --- accepted -----------------------------------------------------------------------------------


def test_a_certified_subsidised_training_is_claimed_with_the_standard_amount(learner):
    entry = claimable_entry(learner, completed_at=china(2026, 3, 5))
    claim = submit(learner, entry)
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.amount == Decimal("1500.00")
    assert (claim.occupation_code, claim.level, claim.completion_year) == ("4-10-01-05", Level.FIVE, 2026)
    event = ClaimEvent.objects.get(claim=claim)
    assert (event.actor, event.from_status, event.to_status) == (learner.user, "", ClaimStatus.SUBMITTED)


def test_the_amount_is_a_snapshot_of_the_standard_at_submission(learner):
    entry = claimable_entry(learner)
    claim = submit(learner, entry)
    SubsidyStandard.objects.update(amount=Decimal("9999"))
    claim.refresh_from_db()
    assert claim.amount == Decimal("1500.00")


# --- not_eligible -------------------------------------------------------------------------------


def test_a_course_that_gives_no_subsidy_is_not_eligible(learner):
    entry = completed_entry(learner, subsidised_course(subsidy_eligible=False))
    assert refused_code(learner, entry) == "not_eligible"


def test_an_occupation_and_level_without_a_standard_is_not_eligible(learner):
    entry = completed_entry(learner, subsidised_course(amount=None))
    assert refused_code(learner, entry) == "not_eligible"


def test_a_training_without_a_certificate_is_not_eligible(learner):
    no_certificate = completed_entry(learner, subsidised_course(certificate_type=CertificateType.NONE))
    assert refused_code(learner, no_certificate) == "not_eligible"
    unverified = LearnerFactory(verified=False, target_group=TargetGroup.UNEMPLOYED)
    held = claimable_entry(unverified)  # the certificate waits for the real-name check
    assert refused_code(unverified, held) == "not_eligible"


def test_credited_time_short_of_the_required_hours_is_not_eligible(learner):
    course = subsidised_course()
    entry = completed_entry(learner, course, credited=float(course.required_hours) * 3600 - 1)
    assert refused_code(learner, entry) == "not_eligible"
    other = LearnerFactory(verified=True, target_group=TargetGroup.UNEMPLOYED)
    assert submit(other, completed_entry(other, course, credited=float(course.required_hours) * 3600))


def test_a_person_of_no_eligible_target_group_is_not_eligible():
    other = LearnerFactory(verified=True, target_group=TargetGroup.OTHER)
    assert refused_code(other, claimable_entry(other)) == "not_eligible"


def test_an_entry_that_is_not_the_learners_own_is_not_found(learner):
    someone = LearnerFactory(verified=True)
    entry = claimable_entry(someone)
    with pytest.raises(services.EntryNotFound):
        submit(learner, entry)
    with pytest.raises(services.EntryNotFound):
        services.claim_submit(learner_id=learner.pk, entry_id=entry.pk + 1000, user=learner.user)
    assert not SubsidyClaim.objects.exists()


# --- already_claimed ----------------------------------------------------------------------------


def test_an_entry_is_claimed_once_until_its_claim_is_rejected(learner):
    entry = claimable_entry(learner)
    first = submit(learner, entry)
    assert refused_code(learner, entry) == "already_claimed"
    official = UserFactory()
    services.claim_district_decide(claim_id=first.pk, user=official, approve=False, reason="材料不全")
    again = submit(learner, entry)
    assert again.pk != first.pk
    assert SubsidyClaim.objects.filter(archive_entry=entry).count() == 2


# --- same_occupation_level ----------------------------------------------------------------------


def test_the_same_occupation_and_level_is_subsidised_once_in_any_year(learner):
    first = claimable_entry(learner, completed_at=china(2025, 6, 1))
    submit(learner, first)
    again = completed_entry(learner, subsidised_course(), completed_at=china(2026, 6, 1))
    assert refused_code(learner, again) == "same_occupation_level"
    # Another level of the same occupation is another subsidy.
    higher = claimable_entry(learner, level=Level.FOUR, completed_at=china(2026, 6, 2))
    assert submit(learner, higher).level == Level.FOUR


def test_a_rejected_claim_does_not_take_the_occupation_and_level(learner):
    first = claimable_entry(learner)
    claim = submit(learner, first)
    services.claim_district_decide(claim_id=claim.pk, user=UserFactory(), approve=False, reason="证书存疑")
    again = completed_entry(learner, subsidised_course())
    assert submit(learner, again).status == ClaimStatus.SUBMITTED


# --- yearly_limit -------------------------------------------------------------------------------


def test_at_most_three_a_year_by_the_year_of_completion_in_china(learner):
    for code, _name in OCCUPATIONS[:3]:
        submit(learner, claimable_entry(learner, code, completed_at=china(2026, 2, 1)))
    fourth = claimable_entry(learner, OCCUPATIONS[3][0], completed_at=china(2026, 1, 1, 0, 30))
    assert refused_code(learner, fourth) == "yearly_limit"
    # Half an hour earlier, in China, is the year before: that one may be claimed.
    earlier = claimable_entry(learner, OCCUPATIONS[4][0], completed_at=china(2025, 12, 31, 23, 30))
    assert submit(learner, earlier).completion_year == 2025


def test_rejected_claims_do_not_count_and_every_other_status_does(learner):
    user = UserFactory()
    statuses = [ClaimStatus.DISTRICT_APPROVED, ClaimStatus.APPROVED, ClaimStatus.REJECTED]
    for (code, _name), status in zip(OCCUPATIONS[:3], statuses, strict=True):
        entry = claimable_entry(learner, code, completed_at=china(2026, 4, 1))
        open_claim_on(entry, user, status)
    third = claimable_entry(learner, OCCUPATIONS[3][0], completed_at=china(2026, 5, 1))
    submit(learner, third)  # two open and one rejected: this is the third
    paid = SubsidyClaim.objects.get(status=ClaimStatus.APPROVED)
    services.claim_mark_paid(claim_id=paid.pk, user=user, reference="PAY-1")
    fourth = claimable_entry(learner, OCCUPATIONS[4][0], completed_at=china(2026, 6, 1))
    assert refused_code(learner, fourth) == "yearly_limit"


def test_the_database_keeps_two_rules_even_if_the_counting_failed(learner, monkeypatch):
    entry = claimable_entry(learner)
    submit(learner, entry)
    twin = completed_entry(learner, subsidised_course())
    monkeypatch.setattr(services, "open_claim_counts", lambda **kwargs: ClaimCounts())
    assert refused_code(learner, entry) == "already_claimed"
    assert refused_code(learner, twin) == "same_occupation_level"
    assert SubsidyClaim.objects.count() == 1


# --- the rules again at each approval ------------------------------------------------------------


def test_approval_rechecks_the_year_when_other_claims_filled_it_meanwhile(learner):
    official, bureau = UserFactory(), UserFactory()
    claim = submit(learner, claimable_entry(learner, completed_at=china(2026, 2, 1)))
    # Written around the service (as a faulty import would): three more open claims that year.
    for code, _name in OCCUPATIONS[1:4]:
        open_claim_on(claimable_entry(learner, code, completed_at=china(2026, 3, 1)), official)
    with pytest.raises(ClaimRefused) as refused:
        services.claim_district_decide(claim_id=claim.pk, user=official, approve=True)
    assert refused.value.code == "yearly_limit"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    SubsidyClaim.objects.exclude(pk=claim.pk).update(status=ClaimStatus.REJECTED, reason="重复")
    services.claim_district_decide(claim_id=claim.pk, user=official, approve=True)
    for other in SubsidyClaim.objects.exclude(pk=claim.pk)[:3]:
        other.status, other.reason = ClaimStatus.DISTRICT_APPROVED, ""
        other.save()
    with pytest.raises(ClaimRefused) as refused:
        services.claim_bureau_decide(claim_id=claim.pk, user=bureau, approve=True)
    assert refused.value.code == "yearly_limit"


def test_approval_rechecks_that_the_course_still_gives_a_subsidy(learner):
    entry = claimable_entry(learner)
    claim = submit(learner, entry)
    type(entry.course).objects.filter(pk=entry.course_id).update(subsidy_eligible=False)
    with pytest.raises(ClaimRefused) as refused:
        services.claim_district_decide(claim_id=claim.pk, user=UserFactory(), approve=True)
    assert refused.value.code == "not_eligible"


def test_the_review_steps_follow_each_other_and_are_recorded(learner):
    official, bureau = UserFactory(), UserFactory()
    claim = submit(learner, claimable_entry(learner))
    with pytest.raises(services.ClaimStateError):
        services.claim_bureau_decide(claim_id=claim.pk, user=bureau, approve=True)
    with pytest.raises(services.ClaimStateError):
        services.claim_mark_paid(claim_id=claim.pk, user=bureau, reference="X")
    with pytest.raises(ValueError, match="原因"):
        services.claim_district_decide(claim_id=claim.pk, user=official, approve=False, reason="  ")
    services.claim_district_decide(claim_id=claim.pk, user=official, approve=True)
    services.claim_bureau_decide(claim_id=claim.pk, user=bureau, approve=True)
    with pytest.raises(ValueError):
        services.claim_mark_paid(claim_id=claim.pk, user=bureau, reference="")
    paid = services.claim_mark_paid(claim_id=claim.pk, user=bureau, reference="ZB-PAY-0001")
    assert (paid.status, paid.payment_reference) == (ClaimStatus.PAID, "ZB-PAY-0001")
    assert (
        paid.district_decided_by == official and paid.bureau_decided_by == bureau and paid.paid_by == bureau
    )
    steps = list(ClaimEvent.objects.filter(claim=claim).values_list("from_status", "to_status", "actor"))
    assert steps == [
        ("", "submitted", learner.user.pk),
        ("submitted", "district_approved", official.pk),
        ("district_approved", "approved", bureau.pk),
        ("approved", "paid", bureau.pk),
    ]
    with pytest.raises(services.ClaimStateError):
        services.claim_district_decide(claim_id=claim.pk, user=official, approve=False, reason="晚了")


def test_each_decision_and_the_payment_notify_the_learner(learner, monkeypatch):
    sent = []
    monkeypatch.setattr(
        services,
        "notify_subsidy_decision",
        lambda person, claim_id, decision, **kw: sent.append((decision, kw)),
    )
    claim = submit(learner, claimable_entry(learner))
    assert sent == []  # a submission is no decision
    services.claim_district_decide(claim_id=claim.pk, user=UserFactory(), approve=True)
    services.claim_bureau_decide(claim_id=claim.pk, user=UserFactory(), approve=True)
    services.claim_mark_paid(claim_id=claim.pk, user=UserFactory(), reference="P-1")
    other = submit(learner, claimable_entry(learner, OCCUPATIONS[1][0]))
    services.claim_district_decide(claim_id=other.pk, user=UserFactory(), approve=False, reason="证书不符")
    assert [(d, kw["approved"]) for d, kw in sent] == [
        ("district_approved", True),
        ("approved", True),
        ("paid", True),
        ("rejected", False),
    ]
    assert sent[-1][1]["reason"] == "证书不符" and sent[0][1]["amount"] == Decimal("1500.00")


# --- constant queries whatever the person's history (bench) -------------------------------------


def queries_to_claim(learner, entry) -> int:
    with CaptureQueriesContext(connection) as captured:
        submit(learner, entry)
    return len(captured)


def test_a_claim_costs_the_same_queries_with_a_long_history(learner, django_assert_max_num_queries):
    newcomer = LearnerFactory(verified=True, target_group=TargetGroup.UNEMPLOYED)
    first = queries_to_claim(newcomer, claimable_entry(newcomer))
    # A long history: forty rejected claims over the years, two open ones this year.
    user = UserFactory()
    for year in range(2010, 2050):
        code = OCCUPATIONS[year % 5 + 1][0]
        level = [Level.FIVE, Level.FOUR, Level.THREE, Level.TWO][year % 4]
        entry = completed_entry(learner, subsidised_course(code, level), completed_at=china(year, 5, 1))
        open_claim_on(entry, user, ClaimStatus.REJECTED)
    for code, _name in OCCUPATIONS[1:3]:
        open_claim_on(claimable_entry(learner, code, Level.ONE, completed_at=china(2026, 1, 5)), user)
    entry = claimable_entry(learner, completed_at=china(2026, 2, 1))
    # The test's savepoint pair, the lock, the entry with its facts, the counts, the user's
    # roles (once per request), the claim, its event.
    with django_assert_max_num_queries(8) as captured:
        claim = submit(learner, entry)
    assert claim.status == ClaimStatus.SUBMITTED
    assert len(captured) == first
    fourth = claimable_entry(learner, OCCUPATIONS[4][0], Level.ONE, completed_at=china(2026, 3, 1))
    with django_assert_max_num_queries(6):  # the lock, the entry, the counts, 3 savepoint statements
        assert refused_code(learner, fourth) == "yearly_limit"


# --- two claims racing for one person (PostgreSQL) ----------------------------------------------


def run_together(jobs) -> list:
    """Run each job in its own thread (its own connection), all released at once; their
    outcomes: the claim, or the refusal's code."""
    barrier = threading.Barrier(len(jobs))
    outcomes = []

    def runner(job):
        try:
            barrier.wait(timeout=10)
            outcomes.append(job())
        except ClaimRefused as refused:
            outcomes.append(refused.code)
        except BaseException as error:  # noqa: BLE001 — reported by the test
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_claims_at_once_never_make_four_in_a_year():
    learner = LearnerFactory(verified=True, target_group=TargetGroup.UNEMPLOYED)
    for code, _name in OCCUPATIONS[:2]:
        submit(learner, claimable_entry(learner, code, completed_at=china(2026, 1, 10)))
    racing = [claimable_entry(learner, code, completed_at=china(2026, 2, 10)) for code, _ in OCCUPATIONS[2:4]]
    outcomes = run_together([lambda entry=entry: submit(learner, entry) for entry in racing])
    assert sorted(o if isinstance(o, str) else "claimed" for o in outcomes) == ["claimed", "yearly_limit"]
    assert SubsidyClaim.objects.filter(learner=learner, completion_year=2026).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_many_claims_at_once_make_three_a_year_and_one_per_occupation_and_level():
    learner = LearnerFactory(verified=True, target_group=TargetGroup.UNEMPLOYED)
    distinct = [
        claimable_entry(learner, code, completed_at=china(2026, 4, 1)) for code, _ in OCCUPATIONS[1:6]
    ]
    twins = [completed_entry(learner, subsidised_course(), completed_at=china(2027, 4, 1)) for _ in range(2)]
    year_outcomes = run_together([lambda entry=entry: submit(learner, entry) for entry in distinct])
    assert sum(1 for o in year_outcomes if isinstance(o, SubsidyClaim)) == 3
    assert sorted(o for o in year_outcomes if isinstance(o, str)) == ["yearly_limit", "yearly_limit"]
    twin_outcomes = run_together([lambda entry=entry: submit(learner, entry) for entry in twins])
    assert sorted(o if isinstance(o, str) else "claimed" for o in twin_outcomes) == [
        "claimed",
        "same_occupation_level",
    ]
    assert SubsidyClaim.objects.filter(learner=learner).count() == 4


# --- the archive as evidence: revoked certificates, certificates issued elsewhere, corrections ----


def test_a_revoked_certificate_supports_no_claim(learner):
    from archive.certificates import certificate_revoke

    entry = claimable_entry(learner)
    certificate_revoke(certificate=entry.certificate, reason="培训记录造假", by=UserFactory())
    with pytest.raises(ClaimRefused) as refused:
        submit(learner, entry)
    assert refused.value.code == "not_eligible" and "撤销" in refused.value.detail


def test_a_certificate_recorded_from_elsewhere_supports_a_claim(learner, tmp_path, monkeypatch):
    from django.core.files.storage import FileSystemStorage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from archive.certificates import external_certificate_record
    from archive.models import ExternalCertificate

    monkeypatch.setattr(ExternalCertificate._meta.get_field("scan"), "storage", FileSystemStorage(tmp_path))
    learner.verified = False  # no platform certificate: only the one recorded from elsewhere
    learner.save()
    course = subsidised_course(certificate_type=CertificateType.SKILL_LEVEL)
    entry = completed_entry(learner, course)
    assert refused_code(learner, entry) == "not_eligible"
    external_certificate_record(
        learner=learner,
        type=CertificateType.SKILL_LEVEL,
        number="S3703001",
        issuer="淄博市职业技能鉴定中心",
        issued_on=timezone.localdate(),
        scan=SimpleUploadedFile("s.pdf", b"%PDF-1.4 scan"),
        by=UserFactory(),
        entry=entry,
    )
    assert submit(learner, entry).status == ClaimStatus.SUBMITTED


def test_the_rules_read_the_entry_as_corrected(learner):
    from archive.services import archive_entry_correct

    entry = claimable_entry(learner)
    archive_entry_correct(entry=entry, changes={"credited_seconds": 60}, reason="重复计时核减")
    with pytest.raises(ClaimRefused) as refused:
        submit(learner, entry)
    assert refused.value.code == "not_eligible" and "0.02" in refused.value.detail


def test_a_corrected_level_takes_the_standard_of_the_level_it_now_says(learner):
    from archive.services import archive_entry_correct

    entry = claimable_entry(learner, level=Level.FIVE)  # 1500, the factory's standard
    four = subsidised_course(entry.occupation_code, Level.FOUR, amount="2200")
    assert four.level == Level.FOUR
    archive_entry_correct(entry=entry, changes={"level": Level.FOUR}, reason="等级录入错误")
    claim = submit(learner, entry)
    assert (claim.level, claim.amount) == (Level.FOUR, Decimal("2200"))
