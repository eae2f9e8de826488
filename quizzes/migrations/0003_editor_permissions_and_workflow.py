"""Give Wagtail's Editors and Moderators groups the question bank and quiz screens (题库与测验),
and put questions and quizzes under the site's default moderation workflow ("Moderators
approval"), as teachers/0002 does for teaching materials.

Editors create and edit questions and quizzes and submit them for moderation (they may lock
what they are working on); Moderators also delete, publish, lock and unlock. Missing groups or
workflow are skipped. Wagtail creates the publish/lock/unlock permissions after migrating; they
are created here if they do not exist yet, as Wagtail would name them.
"""

from django.db import migrations

MODELS = {"question": "question", "quiz": "quiz"}  # codename part: verbose_name_raw
EDITOR_PERMISSIONS = {
    "question": ["add", "change", "view", "lock", "unlock"],
    "quiz": ["add", "change", "view", "lock", "unlock"],
}
MODERATOR_PERMISSIONS = {
    "question": ["add", "change", "delete", "view", "publish", "lock", "unlock"],
    "quiz": ["add", "change", "delete", "view", "publish", "lock", "unlock"],
}


def _permissions(apps, wanted):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    permissions = []
    for model, actions in wanted.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="quizzes", model=model)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {MODELS[model]}"},
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
        for model in MODELS:
            content_type, _ = ContentType.objects.get_or_create(app_label="quizzes", model=model)
            WorkflowContentType.objects.get_or_create(
                content_type=content_type, defaults={"workflow_id": root_workflow.workflow_id}
            )


def revoke(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    WorkflowContentType = apps.get_model("wagtailcore.WorkflowContentType")
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    types = ContentType.objects.filter(app_label="quizzes", model__in=list(MODELS))
    WorkflowContentType.objects.filter(content_type__in=types).delete()
    for group in Group.objects.filter(name__in=["Editors", "Moderators"]):
        group.permissions.remove(*Permission.objects.filter(content_type__in=types))


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0002_moderation"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
