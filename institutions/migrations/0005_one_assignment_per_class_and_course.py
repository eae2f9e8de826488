"""A course is assigned to a class once (duplicates were merged by 0004)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("institutions", "0004_lead_teacher_and_merge_duplicate_assignments")]

    operations = [
        migrations.AddConstraint(
            model_name="assignment",
            constraint=models.UniqueConstraint(
                fields=("training_class", "course"),
                name="one_assignment_per_class_and_course",
                violation_error_message="这门课程已布置给本班级，同一门课程只能布置一次。",
            ),
        ),
    ]
