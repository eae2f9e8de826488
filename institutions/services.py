"""Writes concerning classes: creating them, adding members, assigning modules.

An assignment enrols every member of the class in the assigned course (source "class"), and a
learner who joins later is enrolled in the courses already assigned to the class; both through
``learners.services.enrollment_create``, which is idempotent and race-safe.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.models import CoursePage, Lesson
from institutions.models import Assignment, ClassMembership, Institution, TrainingClass
from learners.models import Enrollment, Learner
from learners.services import enrollment_create


@transaction.atomic
def class_create(
    *,
    institution: Institution,
    course: CoursePage,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    occupation=None,
    level: str = "",
    teacher=None,
    district: str = "",
) -> TrainingClass:
    """Create a class; occupation and level default to the course's, district to the institution's."""
    training_class = TrainingClass(
        institution=institution,
        course=course,
        occupation=occupation or course.occupation,
        level=level or course.level,
        teacher=teacher,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        district=district or institution.district,
    )
    training_class.full_clean()
    training_class.save()
    return training_class


@transaction.atomic
def class_member_add(*, training_class: TrainingClass, learner: Learner) -> tuple[ClassMembership, bool]:
    """Add a learner to a class and enrol them in its assigned courses; (membership, created).

    Idempotent and race-safe: a second call, or a concurrent one, returns the existing row.
    """
    existing = ClassMembership.objects.filter(training_class=training_class, learner=learner).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            membership = ClassMembership.objects.create(training_class=training_class, learner=learner)
    except IntegrityError:
        return ClassMembership.objects.get(training_class=training_class, learner=learner), False
    courses = CoursePage.objects.filter(pk__in=training_class.assignments.values("course_id")).order_by("pk")
    for course in courses:
        enrollment_create(learner=learner, course=course, source=Enrollment.Source.CLASS)
    return membership, True


@transaction.atomic
def assignment_create(
    *,
    training_class: TrainingClass,
    course: CoursePage,
    due_at: dt.datetime,
    opens_at: dt.datetime | None = None,
    lessons: Iterable[Lesson] = (),
    note: str = "",
    created_by=None,
) -> Assignment:
    """Assign a course (or some of its lessons) to a class and enrol its members in the course.

    Raises ValidationError if the due time is not after the opening time or a lesson belongs
    to another course.
    """
    lessons = list(lessons)
    strangers = [lesson.pk for lesson in lessons if lesson.course_id != course.pk]
    if strangers:
        raise ValidationError(
            {"lessons": f"课时 {strangers} 不属于这门课程。Lessons {strangers} are not in this course."}
        )
    assignment = Assignment(
        training_class=training_class,
        course=course,
        opens_at=opens_at or timezone.now(),
        due_at=due_at,
        note=note,
        created_by=created_by,
    )
    assignment.full_clean()
    assignment.save()
    if lessons:
        assignment.lessons.set(lessons)
    members = Learner.objects.filter(class_memberships__training_class=training_class).order_by("pk")
    for learner in members:
        enrollment_create(learner=learner, course=course, source=Enrollment.Source.CLASS)
    return assignment
