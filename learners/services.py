"""Writes concerning learners and enrolments."""

from django.db import IntegrityError, transaction

from courses.models import CoursePage
from learners.models import Enrollment, Learner


class EnrollmentRefused(Exception):
    """The learner may not enrol in this course; the message says why."""


def enrollment_create(*, learner: Learner, course: CoursePage, source: str = Enrollment.Source.SELF):
    """Enrol the learner; return (enrollment, created). Self-enrolment needs an open course.

    Idempotent and race-safe: two concurrent calls create one row (the unique constraint
    decides, and the loser reads the winner's row).
    """
    if source == Enrollment.Source.SELF and not course.open_enrolment:
        raise EnrollmentRefused(
            "此课程不开放自主选课，请通过培训机构报名。This course is not open to self-enrolment."
        )
    existing = Enrollment.objects.filter(learner=learner, course=course).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return Enrollment.objects.create(learner=learner, course=course, source=source), True
    except IntegrityError:
        return Enrollment.objects.get(learner=learner, course=course), False
