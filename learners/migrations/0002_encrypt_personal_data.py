"""Encrypt learners' ID numbers and phones at rest; add keyed look-up hashes, derived birth date
and sex, verification details, and the reveal log."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import learners.crypto
import vocabulary.identity
import learners.models


def encrypt_existing(apps, schema_editor):
    """Rows written before this migration hold plain text: encrypt them and fill the hashes.
    Raw SQL, because the model's field would try to decrypt the plain text."""
    from learners.crypto import blind_index, encrypt
    from vocabulary.identity import birth_date_from_id, normalize_id_number, sex_from_id

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, id_number, phone FROM learners_learner")
        rows = cursor.fetchall()
        for pk, id_number, phone in rows:
            number = normalize_id_number(id_number)
            try:
                birth, sex = birth_date_from_id(number), sex_from_id(number)
            except (ValueError, IndexError):
                birth, sex = None, ""
            cursor.execute(
                "UPDATE learners_learner SET id_number = %s, phone = %s, id_number_hash = %s, phone_hash = %s, "
                "birth_date = %s, sex = %s WHERE id = %s",
                [encrypt(number), encrypt(phone), blind_index(number), blind_index(phone), birth, sex, pk],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("learners", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="learner",
            name="id_number_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="learner",
            name="phone_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="learner",
            name="birth_date",
            field=models.DateField(editable=False, null=True, verbose_name="birth date"),
        ),
        migrations.AddField(
            model_name="learner",
            name="sex",
            field=models.CharField(
                choices=[("M", "男"), ("F", "女")], default="", editable=False, max_length=1, verbose_name="sex"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="learner",
            name="education",
            field=models.CharField(
                blank=True,
                choices=[
                    ("primary", "小学及以下"),
                    ("junior", "初中"),
                    ("senior", "高中/中专/技校"),
                    ("college", "大专"),
                    ("bachelor", "本科"),
                    ("postgraduate", "研究生"),
                ],
                max_length=20,
                verbose_name="education",
            ),
        ),
        migrations.AddField(
            model_name="learner",
            name="verified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="verified at"),
        ),
        migrations.AddField(
            model_name="learner",
            name="verified_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="learner",
            name="verification_method",
            field=models.CharField(blank=True, max_length=30, verbose_name="verification method"),
        ),
        migrations.AlterField(
            model_name="learner",
            name="id_number",
            field=learners.crypto.EncryptedTextField(
                validators=[vocabulary.identity.validate_id_number], verbose_name="ID number"
            ),
        ),
        migrations.AlterField(
            model_name="learner",
            name="phone",
            field=learners.crypto.EncryptedTextField(
                validators=[learners.models.phone_validator], verbose_name="mobile phone"
            ),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="learner",
            name="id_number_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.AlterField(
            model_name="learner",
            name="phone_hash",
            field=models.CharField(db_index=True, editable=False, max_length=64),
        ),
        migrations.CreateModel(
            name="RevealLog",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("field", models.CharField(max_length=20)),
                ("reason", models.CharField(max_length=200)),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("at", models.DateTimeField(auto_now_add=True)),
                (
                    "learner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="reveals", to="learners.learner"
                    ),
                ),
                (
                    "viewer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "personal data reveal",
                "verbose_name_plural": "personal data reveals",
                "ordering": ["-at"],
            },
        ),
    ]
