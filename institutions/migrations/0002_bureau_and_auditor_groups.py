"""The "Bureau" (市人社局: reads everything) and "Auditors" (reads everything and the logs)
groups that institutions.roles looks for. Nothing is removed on reversal: the groups may hold
members by then."""

from django.db import migrations

GROUPS = ("Bureau", "Auditors")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("institutions", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
