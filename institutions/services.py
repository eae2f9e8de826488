"""Writes concerning classes: creating and editing them, adding members, assigning modules.

A class belongs to an institution, given by the caller (the staff member's own, never chosen by
them); its teachers come from the vetted pool (approved teachers only); its capacity, when set,
caps its members. A course is assigned to a class once (a unique constraint keeps it so).

An assignment enrols every member of the class in the assigned course (source "class"), and a
learner who joins later is enrolled in the courses already assigned to the class; both through
``learners.services.enrollment_create``, which is idempotent and race-safe.
"""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.text import enumeration
from courses.models import CoursePage, Lesson
from institutions.models import Assignment, ClassMembership, Institution, TrainingClass, TrainingMode
from learners.models import Enrollment, Learner
from learners.services import enrollment_create
from teachers.models import Teacher

# What staff may change of a class (``class_update``); institution and district stay.
CLASS_EDITABLE = frozenset(
    {"name", "course", "starts_on", "ends_on", "capacity", "mode", "place", "teacher", "teachers"}
)


class ClassFull(ValidationError):
    """Adding a member would exceed the class's capacity (班额)."""


def _teachers_checked(teachers: Iterable[Teacher], lead: Teacher | None = None) -> list[Teacher]:
    """The lead then the teachers, each once, in the order given; ValidationError unless all
    are approved (on "teacher" for the lead, "teachers" for the others)."""
    if lead is not None and not lead.is_approved:
        raise ValidationError(
            {"teacher": _("只能选择师资库中审核通过的教师：%(name)s 未通过审核。") % {"name": lead.name}}
        )
    unique = list({teacher.pk: teacher for teacher in [*([lead] if lead else []), *teachers]}.values())
    refused = [teacher.name for teacher in unique if not teacher.is_approved]
    if refused:
        raise ValidationError(
            {
                "teachers": _("只能选择师资库中审核通过的教师：%(names)s 未通过审核。")
                % {"names": enumeration(refused)}
            }
        )
    return unique


def _course_checked(course: CoursePage) -> CoursePage:
    if not course.live:
        raise ValidationError({"course": _("只能选择已发布的课程。")})
    return course


def _class_save(training_class: TrainingClass, teachers: list[Teacher] | None) -> TrainingClass:
    """Validate and save the class, then set its teachers (None: leave them)."""
    training_class.full_clean()
    training_class.save()
    if teachers is not None:
        training_class.teachers.set(teachers)
    return training_class


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
    teacher: Teacher | None = None,
    teachers: Sequence[Teacher] = (),
    district: str = "",
    capacity: int | None = None,
    mode: str = TrainingMode.ONLINE,
    place: str = "",
) -> TrainingClass:
    """Create a class; occupation and level default to the course's, district to the institution's.

    ``teacher`` is the lead (主讲); it joins ``teachers``, and without one the first of
    ``teachers`` leads. Raises ValidationError naming the field (dates, teachers, place...).
    """
    chosen = _teachers_checked(teachers, lead=teacher)
    training_class = TrainingClass(
        institution=institution,
        course=_course_checked(course),
        occupation=occupation or course.occupation,
        level=level or course.level,
        teacher=chosen[0] if chosen else None,
        name=name.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        district=district or institution.district,
        capacity=capacity,
        mode=mode,
        place=place.strip(),
    )
    return _class_save(training_class, chosen)


@transaction.atomic
def class_update(*, training_class: TrainingClass, data: dict) -> TrainingClass:
    """Change what staff may change of a class (``CLASS_EDITABLE``); the keys of ``data`` are
    the fields to change. The capacity cannot drop below the current members; the course cannot
    change once the class has members (their training record names it). A new course brings its
    occupation and level. Raises ValidationError naming the field."""
    unknown = set(data) - CLASS_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    training_class = TrainingClass.objects.select_for_update().get(pk=training_class.pk)
    members = training_class.memberships.count()
    errors = {}
    if "course" in data and data["course"].pk != training_class.course_id:
        course = data["course"]
        if members:
            errors["course"] = _("班级已有学员，不能更换课程。如需学习其他课程，请在班级页“布置学习任务”。")
        elif not course.live:
            errors["course"] = _("只能选择已发布的课程。")
        else:
            training_class.course = course
            training_class.occupation = course.occupation
            training_class.level = course.level
    capacity = data.get("capacity", training_class.capacity)
    if capacity is not None and capacity < members:
        errors["capacity"] = _("班额不能少于现有学员人数（%(count)d 人），请调大班额或留空（不限）。") % {
            "count": members
        }
    if errors:
        raise ValidationError(errors)
    for field in ("name", "place"):
        if field in data:
            setattr(training_class, field, data[field].strip())
    for field in ("starts_on", "ends_on", "capacity", "mode"):
        if field in data:
            setattr(training_class, field, data[field])
    teachers = None
    if "teacher" in data or "teachers" in data:
        current = list(training_class.teachers.all())
        lead = data.get("teacher", training_class.teacher)
        others = list(data.get("teachers", current))
        if "teacher" not in data and lead is not None and lead not in others:
            lead = None  # the lead was taken off the teachers
        teachers = _teachers_checked(others, lead=lead)
        training_class.teacher = teachers[0] if teachers else None
    return _class_save(training_class, teachers)


@transaction.atomic
def class_member_add(*, training_class: TrainingClass, learner: Learner) -> tuple[ClassMembership, bool]:
    """Add a learner to a class and enrol them in its assigned courses; (membership, created).

    Idempotent and race-safe: a second call, or a concurrent one, returns the existing row.
    Raises ``ClassFull`` when the class has a capacity and is full: the class row is locked
    while the members are counted, so two concurrent additions cannot both take the last place.
    """
    existing = ClassMembership.objects.filter(training_class=training_class, learner=learner).first()
    if existing is not None:
        return existing, False
    capacity = (
        TrainingClass.objects.select_for_update()
        .filter(pk=training_class.pk)
        .values_list("capacity", flat=True)
    ).first()
    if (
        capacity is not None
        and ClassMembership.objects.filter(training_class=training_class).count() >= capacity
    ):
        raise ClassFull(
            _("班级已满（班额 %(capacity)d 人）。请先在“编辑班级”中调大班额。") % {"capacity": capacity},
            code="class_full",
        )
    try:
        with transaction.atomic():
            membership = ClassMembership.objects.create(training_class=training_class, learner=learner)
    except IntegrityError:
        return ClassMembership.objects.get(training_class=training_class, learner=learner), False
    courses = CoursePage.objects.filter(pk__in=training_class.assignments.values("course_id")).order_by("pk")
    for course in courses:
        enrollment_create(learner=learner, course=course, source=Enrollment.Source.CLASS)
    return membership, True


def _already_assigned(existing: Assignment) -> ValidationError:
    return ValidationError(
        {
            "course": _("《%(course)s》已布置给本班级（截止 %(due)s），同一门课程只能布置一次。")
            % {
                "course": existing.course.title,
                "due": timezone.localtime(existing.due_at).strftime("%Y-%m-%d %H:%M"),
            }
        },
        code="duplicate",
    )


def _existing_assignment(training_class: TrainingClass, course: CoursePage) -> Assignment | None:
    return (
        Assignment.objects.filter(training_class=training_class, course=course)
        .select_related("course")
        .first()
    )


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

    Raises ValidationError if the course is already assigned to the class, the due time is not
    after the opening time, or a lesson belongs to another course.
    """
    lessons = list(lessons)
    strangers = [lesson.pk for lesson in lessons if lesson.course_id != course.pk]
    if strangers:
        raise ValidationError(
            {"lessons": _("课时 %(ids)s 不属于这门课程。") % {"ids": enumeration(strangers)}}
        )
    existing = _existing_assignment(training_class, course)
    if existing is not None:
        raise _already_assigned(existing)
    assignment = Assignment(
        training_class=training_class,
        course=course,
        opens_at=opens_at or timezone.now(),
        due_at=due_at,
        note=note,
        created_by=created_by,
    )
    # The unique constraint is checked on save below (a concurrent assignment may win the race).
    assignment.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        existing = _existing_assignment(training_class, course)
        if existing is not None:
            raise _already_assigned(existing) from None
        raise
    if lessons:
        assignment.lessons.set(lessons)
    members = Learner.objects.filter(class_memberships__training_class=training_class).order_by("pk")
    for learner in members:
        enrollment_create(learner=learner, course=course, source=Enrollment.Source.CLASS)
    return assignment
