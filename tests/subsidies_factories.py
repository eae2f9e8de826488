"""Test data for subsidy claims: subsidised courses with their standard, and completed,
certified trainings in a learner's archive, written through the archive's own service."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from archive.models import ArchiveEntry
from archive.services import archive_entry_record
from courses.models import CoursePage
from learners.models import Learner
from progress.models import LessonProgress
from subsidies.models import ClaimStatus, SubsidyClaim, SubsidyStandard
from tests.factories import OccupationFactory, enroll, make_course
from vocabulary.training import CertificateType, Level

CHINA = ZoneInfo("Asia/Shanghai")

# Distinct occupations, so that several claims of one person do not meet the
# same-occupation-and-level rule unless a test wants them to.
OCCUPATIONS = [
    ("4-10-01-05", "养老护理员"),
    ("4-10-01-06", "家政服务员"),
    ("4-03-02-01", "中式烹调师"),
    ("6-11-01-03", "化工总控工"),
    ("6-15-05-02", "陶瓷成型施釉工"),
    ("6-15-03-03", "玻璃加工工"),
]


def china(year, month, day, hour=12, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA)


def subsidised_course(
    code: str = OCCUPATIONS[0][0], level: str = Level.FIVE, amount: str | None = "1500", **fields
) -> CoursePage:
    """A one-lesson course of the occupation (10 minutes, 0.15 h required) that gives a subsidy
    and a certificate, with the city's standard for its occupation and level (unless ``amount``
    is None)."""
    name = dict(OCCUPATIONS).get(code, "职业")
    occupation = OccupationFactory(code=code, name=name)
    course = make_course(
        lessons=1,
        duration=600,
        occupation=occupation,
        level=level,
        subsidy_eligible=fields.pop("subsidy_eligible", True),
        certificate_type=fields.pop("certificate_type", CertificateType.TRAINING),
        **fields,
    )
    if amount is not None:
        SubsidyStandard.objects.update_or_create(
            occupation=occupation, level=level, defaults={"amount": Decimal(amount)}
        )
    return course


def completed_entry(
    learner: Learner,
    course: CoursePage,
    *,
    completed_at: dt.datetime | None = None,
    credited: float | None = None,
) -> ArchiveEntry:
    """The learner enrolled in and having completed ``course``: their credited time (all of it
    by default) recorded, and the archive entry written by ``archive_entry_record`` (with its
    certificate if the learner is verified and the course gives one)."""
    enroll(learner, course)
    lessons = list(course.lessons.all())
    total = float(course.required_hours) * 3600 if credited is None else credited
    for lesson in lessons:
        LessonProgress.objects.update_or_create(
            learner=learner,
            lesson=lesson,
            defaults={"credited_seconds": total / len(lessons), "completed_at": timezone.now()},
        )
    return archive_entry_record(
        learner=learner, course_id=course.pk, completed_at=completed_at or timezone.now()
    )


def claimable_entry(learner: Learner, code: str = OCCUPATIONS[0][0], level: str = Level.FIVE, **options):
    """A completed, certified, subsidised training in the learner's archive."""
    return completed_entry(learner, subsidised_course(code, level), **options)


def open_claim_on(entry: ArchiveEntry, user, status: str = ClaimStatus.SUBMITTED) -> SubsidyClaim:
    """A claim written straight to the table, as a writer that skipped the service would (for
    the re-check at approval)."""
    return SubsidyClaim.objects.create(
        learner_id=entry.learner_id,
        archive_entry=entry,
        occupation_code=entry.occupation_code,
        level=entry.level,
        completion_year=timezone.localtime(entry.completed_at, CHINA).year,
        amount=Decimal("1000"),
        status=status,
        submitted_by=user,
        reason="" if status != ClaimStatus.REJECTED else "测试",
    )
