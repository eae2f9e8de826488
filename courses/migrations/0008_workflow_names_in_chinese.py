"""The default moderation workflow and its task, created by Wagtail as "Moderators approval", get
Chinese names: editors read them in the CMS ("提交给内容审核"), where the English name showed in
the middle of a Chinese button. Names are data (shown as entered in every language); nothing
looks the workflow up by name (the apps use the root page's workflow). The groups keep Wagtail's
names ("Editors", "Moderators"): code refers to them by name (institutions.roles, teachers)."""

from django.db import migrations

NAMES = [
    # (model, Wagtail's name, ours)
    ("Workflow", "Moderators approval", "内容审核"),
    ("Task", "Moderators approval", "审核员审批"),
]


def rename(apps, schema_editor, forward=True):
    for model, wagtail_name, ours in NAMES:
        old, new = (wagtail_name, ours) if forward else (ours, wagtail_name)
        apps.get_model("wagtailcore", model).objects.filter(name=old).update(name=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0007_chinese_labels"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
