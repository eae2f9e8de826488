"""Reads of classes and assignments, and the learner's "我的学习" (``learning_overview``), with
progress computed in a fixed number of queries.

Progress comes from ``progress.models.LessonProgress``: for an assignment, over its chosen
lessons, or over the whole course (its required lessons decide completion) when none are chosen.
"""

from collections import defaultdict
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.lessons import resume_lesson
from courses.models import Lesson
from institutions import roles
from institutions.models import Assignment, ClassMembership, Institution, TrainingClass
from learners.models import Enrollment, Learner
from progress.completion import CourseStanding
from progress.models import LessonProgress
from progress.selectors import progress_percent


def learner_assignments(learner: Learner) -> QuerySet[Assignment]:
    """The assignments of the learner's classes, soonest due first."""
    return (
        Assignment.objects.filter(training_class__memberships__learner=learner)
        .select_related("course", "training_class__institution")
        .prefetch_related(
            Prefetch(
                "lessons",
                queryset=Lesson.objects.only("id", "course_id", "duration").order_by("sort_order", "id"),
            )
        )
        .order_by("due_at", "id")
    )


def assignments_progress(learner: Learner, assignments: Sequence[Assignment]) -> dict[int, dict]:
    """Progress per assignment id, in two queries whatever the number of assignments: the
    lessons of the whole-course assignments' courses, and the learner's progress in them all.
    The assignments' chosen lessons must be prefetched (``learner_assignments`` does)."""
    whole_course_ids = {a.course_id for a in assignments if not a.lessons.all()}
    course_lessons: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    if whole_course_ids:
        rows = Lesson.objects.filter(course_id__in=whole_course_ids).values_list(
            "id", "course_id", "duration", "required"
        )
        for lesson_id, course_id, duration, required in rows:
            course_lessons[course_id].append((lesson_id, duration, required))
    chosen_durations = {lesson.pk: lesson.duration for a in assignments for lesson in a.lessons.all()}
    chosen_ids = set(chosen_durations)
    lesson_ids = chosen_ids | {lesson_id for rows in course_lessons.values() for lesson_id, _, _ in rows}
    progress = (
        {
            lesson_id: (credited, completed_at)
            for lesson_id, credited, completed_at in LessonProgress.objects.filter(
                learner=learner, lesson_id__in=lesson_ids
            ).values_list("lesson_id", "credited_seconds", "completed_at")
        }
        if lesson_ids
        else {}
    )
    now = timezone.now()
    result = {}
    for assignment in assignments:
        chosen = [lesson.pk for lesson in assignment.lessons.all()]
        if chosen:
            lessons = chosen
            needed = chosen
            required_seconds = sum(chosen_durations.get(pk, 0) for pk in chosen)
        else:
            rows = course_lessons.get(assignment.course_id, [])
            lessons = [lesson_id for lesson_id, _, _ in rows]
            needed = [lesson_id for lesson_id, _, required in rows if required] or lessons
            required_seconds = assignment.course.required_seconds
        done = {pk for pk in lessons if progress.get(pk, (0, None))[1] is not None}
        completed = bool(needed) and all(pk in done for pk in needed)
        result[assignment.pk] = {
            "credited_seconds": round(sum(progress.get(pk, (0, None))[0] for pk in lessons), 3),
            "required_seconds": required_seconds,
            "completed_lessons": len(done),
            "total_lessons": len(lessons),
            "completed": completed,
            "overdue": not completed and assignment.due_at < now,
        }
    return result


def learning_overview(learner: Learner, request) -> dict:
    """ "我的学习": the learner's courses with their progress, where they last studied, and their
    classes' assignments — in a fixed number of queries, whatever the number of enrolments. Here,
    above both, because it joins the learner's progress (``progress``) and their classes'
    assignments (this app)."""
    enrollments = list(
        Enrollment.objects.filter(learner=learner).select_related("course").order_by("-enrolled_at", "-id")
    )
    course_ids = [e.course_id for e in enrollments]
    lessons: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    titles: dict[int, str] = {}
    for lesson_id, course_id, required, title in (
        Lesson.objects.filter(course_id__in=course_ids)
        .order_by("sort_order", "id")
        .values_list("id", "course_id", "required", "title")
    ):
        lessons[course_id].append((lesson_id, required))
        titles[lesson_id] = title
    records = list(
        LessonProgress.objects.filter(learner=learner, lesson__course_id__in=course_ids).values_list(
            "lesson_id",
            "lesson__course_id",
            "credited_seconds",
            "completed_at",
            "updated_at",
            "lesson__title",
        )
    )
    credited: dict[int, float] = defaultdict(float)
    done: dict[int, set] = defaultdict(set)
    for lesson_id, course_id, seconds, completed_at, _updated, _title in records:
        credited[course_id] += seconds
        if completed_at is not None:
            done[course_id].add(lesson_id)
    courses = []
    for enrollment in enrollments:
        course = enrollment.course
        required = course.required_seconds
        seconds = credited[course.pk]
        required_lessons = {pk for pk, is_required in lessons[course.pk] if is_required}
        standing = CourseStanding(
            required_lessons=len(required_lessons),
            completed_required_lessons=len(required_lessons & done[course.pk]),
            credited_seconds=seconds,
            required_seconds=required,
        )
        completed = enrollment.completed_at is not None
        courses.append(
            {
                "course": course,
                "url": course.get_url(request=request),
                # The same numbers as GET /api/v1/progress/courses/{id}/ (progress.selectors).
                "credited_seconds": seconds,
                "required_seconds": required,
                "missing_seconds": standing.missing_seconds,
                "missing_lessons": standing.missing_lessons,
                "percent": progress_percent(seconds, required, completed),
                "completed_lessons": len(done[course.pk]),
                "total_lessons": len(lessons[course.pk]),
                "completed": completed,
            }
        )
    # 继续学习: the course last studied among those not finished, at the lesson to study next
    # there (courses.lessons.resume_lesson); a finished course is never offered.
    resume = None
    unfinished = {e.course_id: e.course for e in enrollments if e.completed_at is None}
    latest = max((row for row in records if row[1] in unfinished), key=lambda row: row[4], default=None)
    if latest is not None:
        course = unfinished[latest[1]]
        lesson_id = resume_lesson([pk for pk, _required in lessons[course.pk]], done[course.pk], latest[0])
        resume = {
            "title": titles.get(lesson_id, latest[5]),
            "course": course.title,
            "url": course.get_url(request=request) + course.reverse_subpage("lesson", args=[lesson_id]),
        }
    assignments = list(learner_assignments(learner))
    progress = assignments_progress(learner, assignments)
    rows = [{"assignment": a, **progress[a.pk]} for a in assignments]
    return {"courses": courses, "resume": resume, "assignments": rows}


def visible_class(user, class_id: int) -> TrainingClass | None:
    """The class with this id if ``user`` may see it (``roles.classes_visible_to``), with what
    every class page and endpoint shows of it; None otherwise. The one look-up of a class by
    id: ``class_visible_to`` and ``class_managed_by`` answer "no such class" for the class pages
    and endpoints."""
    return (
        roles.classes_visible_to(user)
        .select_related("institution", "course", "occupation", "teacher")
        .filter(pk=class_id)
        .first()
    )


def class_visible_to(user, class_id: int) -> TrainingClass:
    """The class with this id if ``user`` may see it (``visible_class``). Raises
    ``PermissionDenied`` (a 403) for a user with no class role, before any look-up, and ``Http404``
    for a class outside their reach (docs/permissions.md, "404 before 403"); DRF answers both as
    its JSON 403 and 404 with the same message."""
    if not roles.is_class_reader(user):
        raise PermissionDenied(_("只有培训机构、区县人社和市人社局工作人员可以查看班级。"))
    training_class = visible_class(user, class_id)
    if training_class is None:
        raise Http404(_("没有这个班级。"))
    return training_class


def class_managed_by(user, class_id: int, *, refusal: str | None = None) -> TrainingClass:
    """The class with this id if ``user`` may change it (``roles.can_manage_class``: its
    institution's staff); as ``class_visible_to`` for a class they may not see, and
    ``PermissionDenied`` (a 403; ``refusal``, or "only the institution's staff manage classes")
    for one they may see but not change."""
    training_class = class_visible_to(user, class_id)
    if not roles.can_manage_class(user, training_class):
        raise PermissionDenied(_("只有本机构工作人员可以管理班级。") if refusal is None else refusal)
    return training_class


def staff_institution(user) -> Institution | None:
    """The (active) institution whose staff ``user`` is: the one their new classes belong to."""
    institution_id = roles.scope_of(user).institution_id
    return None if institution_id is None else Institution.objects.filter(pk=institution_id).first()


def class_places_left(training_class: TrainingClass) -> int | None:
    """How many more members the class takes (its capacity less its members); None: no limit.
    For a page that warns before adding many (the roster import's preview)."""
    if training_class.capacity is None:
        return None
    return max(0, training_class.capacity - training_class.memberships.count())


def class_teachers(training_class: TrainingClass) -> list:
    """The class's teachers, the lead (主讲) first, then in the pool's order (one query)."""
    teachers = list(training_class.teachers.order_by("id"))
    teachers.sort(key=lambda teacher: teacher.pk != training_class.teacher_id)
    return teachers


def visible_classes_list(classes: QuerySet[TrainingClass]) -> QuerySet[TrainingClass]:
    """Classes with what a list shows fetched in the same query, and their member counts."""
    return classes.select_related("institution", "course", "occupation", "teacher").annotate(
        member_count=Count("memberships", distinct=True)
    )


def classes_for(user) -> QuerySet[TrainingClass]:
    """The classes ``user`` may see, as the class list shows them."""
    return visible_classes_list(roles.classes_visible_to(user))


def class_members_progress(training_class: TrainingClass) -> list[dict]:
    """Each member of the class with their progress in the class's course: one query for the
    members with their enrolment's completion, one for the course's lessons, one for their
    progress."""
    course = training_class.course
    memberships = list(
        ClassMembership.objects.filter(training_class=training_class)
        .select_related("learner")
        .annotate(
            # Enrolments are unique per learner and course: at most one row.
            course_completed_at=Subquery(
                Enrollment.objects.filter(learner_id=OuterRef("learner_id"), course_id=course.pk).values(
                    "completed_at"
                )[:1]
            )
        )
        .order_by("joined_at", "id")
    )
    learner_ids = [m.learner_id for m in memberships]
    required_lessons = list(
        Lesson.objects.filter(course_id=course.pk, required=True).values_list("id", flat=True)
    )
    per_learner = {
        row["learner_id"]: row
        for row in LessonProgress.objects.filter(learner_id__in=learner_ids, lesson__course_id=course.pk)
        .values("learner_id")
        .annotate(
            credited=Sum("credited_seconds"),
            completed_required=Count(
                "id", filter=Q(completed_at__isnull=False, lesson_id__in=required_lessons or [0])
            ),
            last_activity=Max("updated_at"),
        )
    }
    members = []
    for membership in memberships:
        learner = membership.learner
        row = per_learner.get(learner.pk, {})
        members.append(
            {
                "learner": learner,
                "joined_at": membership.joined_at,
                "credited_seconds": round(row.get("credited") or 0.0, 3),
                "required_seconds": course.required_seconds,
                "completed": membership.course_completed_at is not None
                or (bool(required_lessons) and row.get("completed_required", 0) >= len(required_lessons)),
                "last_activity": row.get("last_activity"),
            }
        )
    return members
