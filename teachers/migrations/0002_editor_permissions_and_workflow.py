"""Give Wagtail's Editors and Moderators groups the teacher and material screens, and put
materials under the site's default moderation workflow ("Moderators approval").

Editors create and edit teachers and materials and submit materials for moderation; Moderators
also delete, publish, lock and unlock. Vetting transitions are checked by group membership in
teachers.services, not by these permissions. Missing groups or workflow are skipped.
"""

from django.db import migrations

EDITOR_PERMISSIONS = {
    "teacher": ["add", "change", "view"],
    "material": ["add", "change", "view", "lock", "unlock"],
}
MODERATOR_PERMISSIONS = {
    "teacher": ["add", "change", "delete", "view"],
    "material": ["add", "change", "delete", "view", "publish", "lock", "unlock"],
}
VERBOSE = {"teacher": "师资", "material": "教材"}


def _permissions(apps, wanted):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    permissions = []
    for model, actions in wanted.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="teachers", model=model)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {VERBOSE[model]}"},
            )
            permissions.append(permission)
    return permissions


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    for group_name, wanted in (("Editors", EDITOR_PERMISSIONS), ("Moderators", MODERATOR_PERMISSIONS)):
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            group.permissions.add(*_permissions(apps, wanted))

    ContentType = apps.get_model("contenttypes.ContentType")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    WorkflowContentType = apps.get_model("wagtailcore.WorkflowContentType")
    root_workflow = WorkflowPage.objects.filter(page__depth=1, workflow__active=True).first()
    if root_workflow is not None:
        material_type, _ = ContentType.objects.get_or_create(app_label="teachers", model="material")
        WorkflowContentType.objects.get_or_create(
            content_type=material_type, defaults={"workflow_id": root_workflow.workflow_id}
        )


def revoke(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    WorkflowContentType = apps.get_model("wagtailcore.WorkflowContentType")
    WorkflowContentType.objects.filter(content_type__app_label="teachers").delete()
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    types = ContentType.objects.filter(app_label="teachers", model__in=["teacher", "material"])
    for group in Group.objects.filter(name__in=["Editors", "Moderators"]):
        group.permissions.remove(*Permission.objects.filter(content_type__in=types))


class Migration(migrations.Migration):
    dependencies = [
        ("teachers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
