"""Data before the constraints of 0005.

1. Each class's lead teacher (``teacher``) joins its ``teachers``.
2. A course assigned to a class more than once is merged into one assignment, so that the
   unique constraint (class, course) of 0005 can be added and the class dashboard stops counting
   the course's hours once per copy. The earliest assignment (by ``created_at``, then id) is kept
   and made to cover what the copies covered together:
   - lessons: the whole course if any copy was the whole course, else the union of the chosen
     lessons;
   - dates: the earliest opening and the latest due time (no learner loses time they were given);
   - note: the distinct non-empty notes, in order, one paragraph each;
   - anything else pointing to a copy (a foreign key or many-to-many from another model, if any
     exists by then) is moved to the kept assignment; then the copies are deleted.
   Enrolments are per learner and course, not per assignment: nothing to move there.

Not reversible in data (the copies are gone); reversing it does nothing.
"""

from django.db import migrations
from django.db.models import Count


def lead_teacher_among_teachers(apps, schema_editor):
    TrainingClass = apps.get_model("institutions", "TrainingClass")
    Through = TrainingClass.teachers.through
    pairs = TrainingClass.objects.filter(teacher__isnull=False).values_list("pk", "teacher_id")
    Through.objects.bulk_create(
        [Through(trainingclass_id=class_id, teacher_id=teacher_id) for class_id, teacher_id in pairs],
        ignore_conflicts=True,
    )


def _move_references(Assignment, keep, copy_ids: list[int]) -> None:
    """Point whatever points to the copies at ``keep`` (reverse relations of other models)."""
    for relation in Assignment._meta.related_objects:
        field = relation.field
        if relation.many_to_many:
            for obj in relation.related_model.objects.filter(**{f"{field.name}__in": copy_ids}):
                getattr(obj, field.name).add(keep)
        elif relation.one_to_one:
            taken = relation.related_model.objects.filter(**{field.name: keep}).exists()
            if not taken:
                first = relation.related_model.objects.filter(**{f"{field.name}__in": copy_ids}).first()
                if first is not None:
                    setattr(first, field.name, keep)
                    first.save(update_fields=[field.name])
        else:
            relation.related_model.objects.filter(**{f"{field.name}__in": copy_ids}).update(
                **{field.name: keep}
            )


def merge_duplicate_assignments(apps, schema_editor):
    Assignment = apps.get_model("institutions", "Assignment")
    groups = (
        Assignment.objects.values("training_class_id", "course_id")
        .annotate(copies=Count("id"))
        .filter(copies__gt=1)
        .order_by("training_class_id", "course_id")
    )
    for group in groups:
        rows = list(
            Assignment.objects.filter(
                training_class_id=group["training_class_id"], course_id=group["course_id"]
            ).order_by("created_at", "id")
        )
        keep, copies = rows[0], rows[1:]
        chosen = [set(row.lessons.values_list("id", flat=True)) for row in rows]
        notes = []
        for row in rows:
            note = row.note.strip()
            if note and note not in notes:
                notes.append(note)
        keep.opens_at = min(row.opens_at for row in rows)
        keep.due_at = max(row.due_at for row in rows)
        keep.note = "\n\n".join(notes)
        keep.save(update_fields=["opens_at", "due_at", "note"])
        if all(chosen):
            keep.lessons.set(set().union(*chosen))
        else:
            keep.lessons.clear()  # one copy was the whole course: the merged one is too
        copy_ids = [row.pk for row in copies]
        _move_references(Assignment, keep, copy_ids)
        Assignment.objects.filter(pk__in=copy_ids).delete()


class Migration(migrations.Migration):
    dependencies = [("institutions", "0003_class_capacity_mode_place_teachers")]

    operations = [
        migrations.RunPython(lead_teacher_among_teachers, migrations.RunPython.noop),
        migrations.RunPython(merge_duplicate_assignments, migrations.RunPython.noop),
    ]
