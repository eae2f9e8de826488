"""Reads of the rosters app: the class dashboard, and an uploaded roster's rows and preview.

The class dashboard: each member's study against the class's modules, in a fixed number of
queries whatever the class size (members, assignments, their chosen lessons, the whole-course
lessons, the members' lesson progress, their latest events).

A module is an assignment (its chosen lessons, or the whole course when none are chosen: the
course's required lessons then decide completion), or, for a class without assignments, the
class's own course over the class's dates. A member is **behind** when some module is not
completed and either it is due within ``BEHIND_DUE_DAYS`` days (or overdue), or the member's
credited share of it is below the share of its period already elapsed.
"""

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max, Prefetch
from django.utils import timezone, translation

from courses.models import Lesson
from institutions.models import Assignment, ClassMembership, TrainingClass
from progress.models import LessonProgress, ProgressEvent
from rosters.models import RosterUpload
from vocabulary.identity import mask_id_number, mask_phone
from vocabulary.people import TargetGroup

BEHIND_DUE_DAYS = 3


@dataclass
class Module:
    title: str
    opens_at: dt.datetime
    due_at: dt.datetime
    lessons: list  # lesson ids
    needed: list  # lesson ids that decide completion
    required_seconds: float


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def class_modules(training_class: TrainingClass) -> list[Module]:
    """The class's modules (three queries: assignments, their chosen lessons, course lessons)."""
    assignments = list(
        Assignment.objects.filter(training_class=training_class)
        .select_related("course")
        .prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.only("id", "course_id", "duration").order_by("id"))
        )
        .order_by("due_at", "id")
    )
    whole = {a.course_id for a in assignments if not a.lessons.all()}
    if not assignments:
        whole = {training_class.course_id}
    course_lessons = defaultdict(list)
    for lesson_id, course_id, required in (
        Lesson.objects.filter(course_id__in=whole)
        .order_by("sort_order", "id")
        .values_list("id", "course_id", "required")
    ):
        course_lessons[course_id].append((lesson_id, required))

    def whole_course(course, title, opens_at, due_at):
        rows = course_lessons.get(course.pk, [])
        lessons = [pk for pk, _ in rows]
        needed = [pk for pk, required in rows if required] or lessons
        return Module(title, opens_at, due_at, lessons, needed, course.required_seconds)

    if not assignments:
        course = training_class.course
        return [
            whole_course(
                course,
                course.title,
                _day_start(training_class.starts_on),
                _day_start(training_class.ends_on + dt.timedelta(days=1)),
            )
        ]
    modules = []
    for a in assignments:
        chosen = list(a.lessons.all())
        if chosen:
            ids = [lesson.pk for lesson in chosen]
            seconds = sum(lesson.duration or 0 for lesson in chosen)
            modules.append(Module(a.course.title, a.opens_at, a.due_at, ids, ids, seconds))
        else:
            modules.append(whole_course(a.course, a.course.title, a.opens_at, a.due_at))
    return modules


def is_behind(*, completed: bool, credited_share: float, opens_at, due_at, now) -> bool:
    if completed:
        return False
    if due_at - now <= dt.timedelta(days=BEHIND_DUE_DAYS):
        return True
    period = (due_at - opens_at).total_seconds()
    elapsed = (now - opens_at).total_seconds() / period if period > 0 else 1.0
    return credited_share < min(max(elapsed, 0.0), 1.0)


def class_dashboard(training_class: TrainingClass, *, now=None) -> dict:
    """Members with credited and required seconds, lessons done, completion, last activity and
    the behind flag; behind first, then least progress first."""
    now = now or timezone.now()
    modules = class_modules(training_class)
    memberships = list(
        ClassMembership.objects.filter(training_class=training_class)
        .select_related("learner")
        .order_by("joined_at", "id")
    )
    learner_ids = [m.learner_id for m in memberships]
    lesson_ids = sorted({pk for module in modules for pk in module.lessons})
    progress = defaultdict(dict)
    last_progress = {}
    if learner_ids and lesson_ids:
        for learner_id, lesson_id, credited, completed_at, updated_at in LessonProgress.objects.filter(
            learner_id__in=learner_ids, lesson_id__in=lesson_ids
        ).values_list("learner_id", "lesson_id", "credited_seconds", "completed_at", "updated_at"):
            progress[learner_id][lesson_id] = (credited or 0.0, completed_at is not None)
            if updated_at and (learner_id not in last_progress or updated_at > last_progress[learner_id]):
                last_progress[learner_id] = updated_at
    last_event = (
        dict(
            ProgressEvent.objects.filter(learner_id__in=learner_ids, status=ProgressEvent.Status.ACCEPTED)
            .values("learner_id")
            .annotate(latest=Max("received_at"))
            .values_list("learner_id", "latest")
        )
        if learner_ids
        else {}
    )
    required_seconds = sum(module.required_seconds for module in modules)
    rows = []
    for membership in memberships:
        learner = membership.learner
        mine = progress.get(learner.pk, {})
        done = {pk for pk in lesson_ids if mine.get(pk, (0, False))[1]}
        credited = sum(mine.get(pk, (0.0, False))[0] for pk in lesson_ids)
        behind, completed_all, next_due = False, True, None
        for module in modules:
            module_credited = sum(mine.get(pk, (0.0, False))[0] for pk in module.lessons)
            completed = bool(module.needed) and all(pk in done for pk in module.needed)
            if module.required_seconds:
                share = module_credited / module.required_seconds
            else:
                share = len(done & set(module.lessons)) / len(module.lessons) if module.lessons else 1.0
            if not completed:
                completed_all = False
                next_due = module.due_at if next_due is None else min(next_due, module.due_at)
            behind = behind or is_behind(
                completed=completed,
                credited_share=share,
                opens_at=module.opens_at,
                due_at=module.due_at,
                now=now,
            )
        activity = [t for t in (last_progress.get(learner.pk), last_event.get(learner.pk)) if t]
        rows.append(
            {
                "learner": learner,
                "learner_id": learner.pk,
                "name": learner.real_name,
                "id_number": learner.masked_id_number,
                "phone": learner.masked_phone,
                "credited_seconds": round(credited, 3),
                "required_seconds": required_seconds,
                "completed_lessons": len(done),
                "total_lessons": len(lesson_ids),
                "completion": round(min(1.0, credited / required_seconds), 4) if required_seconds else 0.0,
                "completed": bool(modules) and completed_all,
                "next_due_at": next_due,
                "overdue": next_due is not None and next_due < now,
                "last_activity": max(activity) if activity else None,
                "behind": behind,
            }
        )
    rows.sort(key=lambda row: (not row["behind"], row["completion"]))
    return {"training_class": training_class, "modules": modules, "members": rows, "now": now}


def upload_rows(upload: RosterUpload) -> list[dict]:
    """The checked rows an upload keeps for its confirmation (``rosters.services.roster_preview``)."""
    return json.loads(upload.payload) if upload.payload else []


def upload_preview(upload: RosterUpload) -> dict:
    """What a preview shows of an upload: each row with its ID number and phone masked."""
    with translation.override("zh-hans"):
        group_labels = {value: str(label) for value, label in TargetGroup.choices}
    rows = []
    for row in upload_rows(upload):
        rows.append(
            {
                "row": row["row"],
                "name": row["name"],
                "id_number": mask_id_number(row["id_number"]),
                "phone": mask_phone(row["phone"]),
                "district": row["district"],
                "target_group": row["target_group"],
                "target_group_display": group_labels.get(row["target_group"], ""),
                "employer": row["employer"],
                "status": "error" if row["errors"] else "ok",
                "errors": row["errors"],
                "new": row["new"],
                "already_in_class": row["already_in_class"],
            }
        )
    ok = [row for row in rows if row["status"] == "ok"]
    return {
        "upload_id": str(upload.pk),
        "checksum": upload.checksum,
        "expires_at": upload.expires_at,
        "filename": upload.filename,
        "rows": rows,
        "row_count": len(rows),
        "ok_count": len(ok),
        "error_count": len(rows) - len(ok),
        "new_count": sum(1 for row in ok if row["new"]),
        "already_in_class_count": sum(1 for row in ok if row["already_in_class"]),
    }
