"""The archive log (LogRecord), signed heads (ArchiveHead), and each entry's completion record
(nullable until 0004 has chained the entries that already exist; 0005 makes it required)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0002_required_hours_two_decimals"),
    ]

    operations = [
        migrations.CreateModel(
            name="LogRecord",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False, verbose_name="sequence number")),
                ("kind", models.CharField(max_length=40, verbose_name="kind")),
                ("content", models.TextField(verbose_name="content")),
                ("recorded_at", models.DateTimeField(verbose_name="recorded at")),
                ("prev_hash", models.CharField(max_length=64, verbose_name="previous hash")),
                ("hash", models.CharField(max_length=64, verbose_name="hash")),
                (
                    "refers_to",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="referred_by",
                        to="archive.logrecord",
                    ),
                ),
            ],
            options={
                "verbose_name": "archive log record",
                "verbose_name_plural": "archive log records",
                "ordering": ["seq"],
                "indexes": [models.Index(fields=["kind", "seq"], name="archive_log_kind_seq")],
            },
        ),
        migrations.CreateModel(
            name="ArchiveHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("size", models.BigIntegerField(verbose_name="size")),
                ("hash", models.CharField(max_length=64, verbose_name="hash")),
                ("signed_at", models.DateTimeField(verbose_name="signed at")),
                ("jws", models.TextField(verbose_name="JWS")),
                ("kid", models.CharField(max_length=100, verbose_name="key id")),
            ],
            options={
                "verbose_name": "signed archive head",
                "verbose_name_plural": "signed archive heads",
                "ordering": ["-signed_at", "-pk"],
                "indexes": [models.Index(fields=["size"], name="archive_head_size")],
            },
        ),
        migrations.AddField(
            model_name="archiveentry",
            name="record",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entry",
                to="archive.logrecord",
            ),
        ),
    ]
