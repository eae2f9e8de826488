"""Classes get a capacity (班额), a mode (线上/线下/线上线下结合) with a place, and several
teachers from the vetted pool; the existing single teacher becomes the lead (主讲教师).
Data (the lead copied into the teachers, duplicate assignments merged) follows in 0004, the
one-assignment-per-class-and-course constraint in 0005: on PostgreSQL a table cannot be altered
in the transaction that changed its rows while deferred foreign-key checks are pending."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0005_lesson_minimum_seconds_hours_two_decimals"),
        ("institutions", "0002_bureau_and_auditor_groups"),
        ("learners", "0003_verification_outcome"),
        ("teachers", "0002_editor_permissions_and_workflow"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="trainingclass",
            name="capacity",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="班级最多容纳的学员人数；留空则不限。",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(10000),
                ],
                verbose_name="班额",
            ),
        ),
        migrations.AddField(
            model_name="trainingclass",
            name="mode",
            field=models.CharField(
                choices=[("online", "线上"), ("offline", "线下"), ("blended", "线上线下结合")],
                default="online",
                max_length=10,
                verbose_name="授课方式",
            ),
        ),
        migrations.AddField(
            model_name="trainingclass",
            name="place",
            field=models.CharField(
                blank=True,
                help_text="线下或线上线下结合授课时必填。",
                max_length=200,
                verbose_name="上课地点",
            ),
        ),
        migrations.AddField(
            model_name="trainingclass",
            name="teachers",
            field=models.ManyToManyField(
                blank=True,
                help_text="只能选择审核通过的师资；主讲教师也在其中。",
                limit_choices_to={"state": "approved"},
                related_name="taught_classes",
                to="teachers.teacher",
                verbose_name="授课教师",
            ),
        ),
        migrations.AlterField(
            model_name="trainingclass",
            name="teacher",
            field=models.ForeignKey(
                blank=True,
                help_text="只能选择审核通过的师资。",
                limit_choices_to={"state": "approved"},
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="training_classes",
                to="teachers.teacher",
                verbose_name="主讲教师",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainingclass",
            constraint=models.CheckConstraint(
                condition=models.Q(("capacity__isnull", True), ("capacity__gte", 1), _connector="OR"),
                name="class_capacity_at_least_one",
            ),
        ),
    ]
