"""Auditors (group "Auditors", institutions.roles) open the Wagtail admin, where the archive's
verification screen (档案校验, archive.wagtail_hooks) is; what else they see there is what
their permissions allow, and they have none besides. The bureau's administrators are
superusers (the demo's ``bureau``); a "Bureau" group member gets the screen once given
``wagtailadmin.access_admin``. Nothing is taken away on reversal: the group may have been
given the permission for another reason by then."""

from django.db import migrations


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    access = Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin").first()
    if access is None:  # created by wagtailadmin's first migration; absent only in odd set-ups
        return
    group, _ = Group.objects.get_or_create(name="Auditors")
    group.permissions.add(access)


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0005_append_only"),
        ("institutions", "0002_bureau_and_auditor_groups"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
