"""The outcome of a learner's real-name check (learners.verification): status, detail, when.
Learners already verified (by staff) are marked verified; everyone else starts pending."""

from django.db import migrations, models


def mark_verified(apps, schema_editor):
    Learner = apps.get_model("learners", "Learner")
    Learner.objects.filter(verified=True).update(
        verification_status="verified", verification_checked_at=models.F("verified_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("learners", "0002_encrypt_personal_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="learner",
            name="verification_checked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="verification checked at"),
        ),
        migrations.AddField(
            model_name="learner",
            name="verification_detail",
            field=models.CharField(blank=True, max_length=200, verbose_name="verification detail"),
        ),
        migrations.AddField(
            model_name="learner",
            name="verification_status",
            field=models.CharField(
                choices=[
                    ("pending", "待核验"),
                    ("verified", "已核验"),
                    ("rejected", "核验未通过"),
                    ("unavailable", "核验服务暂不可用"),
                ],
                default="pending",
                max_length=12,
                verbose_name="verification status",
            ),
        ),
        migrations.RunPython(mark_verified, migrations.RunPython.noop),
    ]
