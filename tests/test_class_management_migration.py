"""Migration 0004 merges the duplicate assignments that existed before the unique constraint
(class, course) of 0005, and makes each class's lead teacher one of its teachers."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import make_course
from tests.institutions_factories import TrainingClassFactory
from tests.teachers_factories import TeacherFactory

BEFORE = [("institutions", "0003_class_capacity_mode_place_teachers")]
AFTER = [("institutions", "0005_one_assignment_per_class_and_course")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_duplicates_are_merged_into_the_earliest_and_the_lead_joins_the_teachers():
    course, other_course = make_course(lessons=3), make_course()
    lead = TeacherFactory()
    training_class = TrainingClassFactory(course=course, teacher=lead)
    other_class = TrainingClassFactory(course=course)
    first, second, third = course.lessons.order_by("sort_order")
    now = timezone.now()
    try:
        apps = migrate(BEFORE)
        Assignment = apps.get_model("institutions", "Assignment")

        def assign(target, assigned_course, opens, due, note="", lessons=()):
            row = Assignment.objects.create(
                training_class_id=target.pk,
                course_id=assigned_course.pk,
                opens_at=now + dt.timedelta(days=opens),
                due_at=now + dt.timedelta(days=due),
                note=note,
            )
            row.lessons.set([lesson.pk for lesson in lessons])
            return row.pk

        keep = assign(training_class, course, 0, 10, "第一批", [first])
        assign(training_class, course, -2, 7, "第一批", [second])
        assign(training_class, course, 1, 20, "补充说明", [third])
        whole = assign(other_class, course, 0, 10, "", [first])
        assign(other_class, course, 0, 12, "", [])  # a copy for the whole course
        single = assign(training_class, other_course, 0, 5, "只有一条")

        apps = migrate(AFTER)
        Assignment = apps.get_model("institutions", "Assignment")
        TrainingClass = apps.get_model("institutions", "TrainingClass")

        assert sorted(Assignment.objects.values_list("pk", flat=True)) == sorted([keep, whole, single])
        merged = Assignment.objects.get(pk=keep)
        assert merged.opens_at == now - dt.timedelta(days=2) and merged.due_at == now + dt.timedelta(days=20)
        assert merged.note == "第一批\n\n补充说明"
        assert set(merged.lessons.values_list("pk", flat=True)) == {first.pk, second.pk, third.pk}
        assert not Assignment.objects.get(pk=whole).lessons.exists()  # the whole course won
        assert Assignment.objects.get(pk=whole).due_at == now + dt.timedelta(days=12)
        assert Assignment.objects.get(pk=single).note == "只有一条"
        assert list(
            TrainingClass.objects.get(pk=training_class.pk).teachers.values_list("pk", flat=True)
        ) == [lead.pk]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
