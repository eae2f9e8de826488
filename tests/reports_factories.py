"""A hand-counted world for the unified reports (tests/test_reports.py counts every figure).

Three districts (张店区 ZD, 淄川区 ZC, 博山区 BS), 2025 Q4, 2026 Q1 and Q2. Courses: X 养老护理员
(4-10-01-05), taught by institution A in class A; Y 中式烹调师 (4-03-02-01), taught by
institution B in class B; Z 化工总控工 (6-11-01-03), studied alone. Each course has one lesson.

=== ===== ==================== ==================================================================
 who dist  group                what
=== ===== ==================== ==================================================================
 L1  ZD    enterprise-employee  class A. Spans X 2026-02-10: 3600 s PC + 1800 s app. Completes X
                                2026-03-31 23:30 China (Q1); certificate then. Claim 1500.00
                                submitted 2026-03-31 23:45 China (Q1).
 L2  ZD    unemployed           alone. Span Z 2026-04-01: 7200 s WeChat. Completes Z 2026-04-01
                                00:10 China (= 03-31 16:10 UTC: Q2); certificate then. Claim
                                1000.00 approved, submitted 2026-04-05 (Q2).
 L3  ZC    rural-worker         class B. Span Y 2026-01-15: 5400 s PC. Completes Y 2026-02-20;
                                certificate REVOKED. Claim 800.00 REJECTED 2026-02-25.
 L4  ZC    rural-worker         class B. Span Y 2026-03-01: 3600 s app; completes Y 2026-03-02
                                with a certificate: credit INVALIDATED (entry, spans, certificate
                                left out). Span X 2026-03-05: 1800 s PC, alone (counted).
 L5  BS    veteran              not verified (no platform certificate). Span X 2026-03-31:
                                1080 s WeChat, alone. Completes X 2026-03-31 10:00. Claim
                                1200.50 district-approved 2026-03-20. External certificate
                                issued 2026-05-10 (Q2), recorded by institution A's staff.
 L6  ZD    enterprise-employee  not verified. Span Z 2025-12-20: 3600 s PC; completes Z
                                2025-12-31 23:00 China (2025 Q4). A span of 0 s on 2026-02-11.
=== ===== ==================== ==================================================================

Tasks: 2026 ZD 10 (all groups) and 4 (unemployed); 2026 ZC 8; 2025 ZD 5; none for BS.
Employment base 2026: ZD 1000 / 300 / 100; ZC 1000 / 200 / 50 (demo figures); none for BS.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from archive.certificates import certificate_revoke, external_certificate_record
from archive.services import archive_entry_correct
from institutions.models import Institution
from integrity.models import CaseDecision, CaseStatus, CreditInvalidation, DecisionKind, ReviewCase
from learners.models import Learner
from progress.models import Channel, CreditedSpan, PlaybackSession
from reports.models import EmploymentBase, TrainingTask
from subsidies.models import ClaimStatus, SubsidyClaim
from tests.factories import LearnerFactory
from tests.institutions_factories import InstitutionFactory, TrainingClassFactory, in_group, member, staff_of
from tests.subsidies_factories import CHINA, china, completed_entry, subsidised_course
from vocabulary.people import District, TargetGroup
from vocabulary.training import CertificateType

ZD, ZC, BS = District.ZHANGDIAN, District.ZICHUAN, District.BOSHAN
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class ReportWorld:
    learners: dict
    institution_a: Institution
    institution_b: Institution
    bureau: User
    staff_a: User


def span(learner: Learner, course, day: dt.date, seconds: float, channel: str) -> CreditedSpan:
    """Credited time of one playback session on ``day`` (China's date), through ``channel``."""
    lesson = course.lessons.first()
    started = dt.datetime.combine(day, dt.time(9, 0), tzinfo=CHINA)
    session = PlaybackSession.objects.create(
        id=uuid.uuid4(),
        learner=learner,
        lesson=lesson,
        channel=channel,
        started_at=started,
        last_event_at=started + dt.timedelta(seconds=seconds),
        last_event_type="heartbeat",
        last_position=seconds,
    )
    return CreditedSpan.objects.create(
        learner=learner,
        session=session.pk,
        lesson=lesson,
        day=day,
        started_at=started,
        ended_at=started + dt.timedelta(seconds=seconds),
        credited_seconds=seconds,
    )


def claim(entry, user, amount: str, submitted_at, status=ClaimStatus.SUBMITTED) -> SubsidyClaim:
    return SubsidyClaim.objects.create(
        learner_id=entry.learner_id,
        archive_entry=entry,
        occupation_code=entry.occupation_code,
        level=entry.level,
        completion_year=timezone.localtime(entry.completed_at, CHINA).year,
        amount=Decimal(amount),
        status=status,
        submitted_by=user,
        submitted_at=submitted_at,
        reason="材料不全" if status == ClaimStatus.REJECTED else "",
    )


def invalidate(entry, reviewer: User) -> CreditInvalidation:
    """A reviewer's "invalidate credit" decision: a correction appended to the archive log."""
    case = ReviewCase.objects.create(
        learner=entry.learner,
        district=entry.learner.district,
        status=CaseStatus.DECIDED,
        decided_at=timezone.now(),
    )
    decision = CaseDecision.objects.create(
        case=case, kind=DecisionKind.INVALIDATE, reason="两个课时同时计时", decided_by=reviewer
    )
    correction = archive_entry_correct(
        entry=entry, changes={"credited_seconds": 0}, reason="复核认定学时无效", by=reviewer
    )
    return CreditInvalidation.objects.create(
        entry=entry, learner=entry.learner, course=entry.course, correction=correction, decision=decision
    )


def make_report_world() -> ReportWorld:
    """The world of the module docstring. Needs the private storage of scans patched (the
    caller's fixture does it, as tests/test_evaluation.py)."""
    bureau = in_group("Bureau")
    x = subsidised_course("4-10-01-05", amount="1500")
    y = subsidised_course("4-03-02-01", amount="800")
    z = subsidised_course("6-11-01-03", amount="1000")
    institution_a = InstitutionFactory(name="张店区职业培训学校", district=ZD)
    institution_b = InstitutionFactory(name="淄川区技工学校", district=ZC)
    class_a = TrainingClassFactory(institution=institution_a, course=x, starts_on=dt.date(2026, 1, 5))
    class_b = TrainingClassFactory(institution=institution_b, course=y, starts_on=dt.date(2026, 1, 5))
    staff_a = staff_of(institution_a)

    def person(district, group, verified=True):
        return LearnerFactory(district=district, target_group=group, verified=verified)

    l1 = person(ZD, TargetGroup.ENTERPRISE_EMPLOYEE)
    l2 = person(ZD, TargetGroup.UNEMPLOYED)
    l3 = person(ZC, TargetGroup.RURAL_WORKER)
    l4 = person(ZC, TargetGroup.RURAL_WORKER)
    l5 = person(BS, TargetGroup.VETERAN, verified=False)
    l6 = person(ZD, TargetGroup.ENTERPRISE_EMPLOYEE, verified=False)
    member(class_a, l1)
    member(class_b, l3)
    member(class_b, l4)

    # L1
    span(l1, x, dt.date(2026, 2, 10), 3600, Channel.PC)
    span(l1, x, dt.date(2026, 2, 10), 1800, Channel.APP)
    e1 = completed_entry(l1, x, completed_at=china(2026, 3, 31, 23, 30))
    claim(e1, l1.user, "1500.00", china(2026, 3, 31, 23, 45))
    # L2
    span(l2, z, dt.date(2026, 4, 1), 7200, Channel.WECHAT)
    e2 = completed_entry(l2, z, completed_at=china(2026, 4, 1, 0, 10))
    claim(e2, l2.user, "1000.00", china(2026, 4, 5), ClaimStatus.APPROVED)
    # L3
    span(l3, y, dt.date(2026, 1, 15), 5400, Channel.PC)
    e3 = completed_entry(l3, y, completed_at=china(2026, 2, 20))
    certificate_revoke(certificate=e3.certificate, reason="材料不实", by=bureau)
    claim(e3, l3.user, "800.00", china(2026, 2, 25), ClaimStatus.REJECTED)
    # L4
    span(l4, y, dt.date(2026, 3, 1), 3600, Channel.APP)
    e4 = completed_entry(l4, y, completed_at=china(2026, 3, 2))
    assert e4.issued_certificate is not None
    invalidate(e4, bureau)
    span(l4, x, dt.date(2026, 3, 5), 1800, Channel.PC)
    # L5
    span(l5, x, dt.date(2026, 3, 31), 1080, Channel.WECHAT)
    e5 = completed_entry(l5, x, completed_at=china(2026, 3, 31, 10))
    claim(e5, l5.user, "1200.50", china(2026, 3, 20), ClaimStatus.DISTRICT_APPROVED)
    external_certificate_record(
        learner=l5,
        type=CertificateType.SKILL_LEVEL,
        number="S2026-0510",
        issuer="淄博市职业技能鉴定中心",
        issued_on=dt.date(2026, 5, 10),
        scan=SimpleUploadedFile("scan.png", PNG, content_type="image/png"),
        by=staff_a,
        entry=e5,
    )
    # L6
    span(l6, z, dt.date(2025, 12, 20), 3600, Channel.PC)
    completed_entry(l6, z, completed_at=china(2025, 12, 31, 23))
    span(l6, z, dt.date(2026, 2, 11), 0, Channel.PC)

    TrainingTask.objects.create(year=2026, district=ZD, target=10)
    TrainingTask.objects.create(year=2026, district=ZD, target_group=TargetGroup.UNEMPLOYED, target=4)
    TrainingTask.objects.create(year=2026, district=ZC, target=8, is_demo=True)
    TrainingTask.objects.create(year=2025, district=ZD, target=5)
    EmploymentBase.objects.create(year=2026, district=ZD, employed=1000, skilled=300, high_skilled=100)
    EmploymentBase.objects.create(
        year=2026, district=ZC, employed=1000, skilled=200, high_skilled=50, is_demo=True
    )
    return ReportWorld(
        learners={"L1": l1, "L2": l2, "L3": l3, "L4": l4, "L5": l5, "L6": l6},
        institution_a=institution_a,
        institution_b=institution_b,
        bureau=bureau,
        staff_a=staff_a,
    )


def more_learners(n: int, district: str = ZD) -> None:
    """``n`` more learners of ``district`` with a span, a completion and a claim in 2026 Q1 (for
    the constant-query test)."""
    course = subsidised_course("6-15-05-02", amount="600")
    user = in_group("Bureau")
    for _ in range(n):
        learner = LearnerFactory(district=district, verified=True)
        span(learner, course, dt.date(2026, 2, 1), 600, Channel.PC)
        entry = completed_entry(learner, course, completed_at=china(2026, 2, 2))
        claim(entry, user, "600.00", china(2026, 2, 3))
