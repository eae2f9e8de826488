"""The bureau's screens in the Wagtail admin: the task table (年度目标任务) and the employment
base (就业基数) as snippets, grouped under 统一报表.

Only the bureau edits them (the "Bureau" group, superusers counting as the bureau:
``institutions.roles``): both models get a permission policy that asks the user's role instead
of Django model permissions, so no group needs permissions granted and nobody else (auditors,
editors, district officials) sees the menu or reaches a screen. A bureau member who is not a
superuser still needs ``wagtailadmin.access_admin`` to open the admin at all.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from institutions.roles import BUREAU_GROUP, Role, roles_of
from reports.models import EmploymentBase, TrainingTask


class BureauOnlyPolicy(BasePermissionPolicy):
    """Every action (add, change, delete, view) for the bureau and nobody else."""

    def user_has_permission(self, user, action):
        return Role.BUREAU in roles_of(user)

    def user_has_any_permission(self, user, actions):
        return Role.BUREAU in roles_of(user)

    def users_with_any_permission(self, actions):
        return (
            get_user_model()
            .objects.filter(Q(is_superuser=True) | Q(groups__name=BUREAU_GROUP), is_active=True)
            .distinct()
        )

    def users_with_permission(self, action):
        return self.users_with_any_permission([action])


register_permission_policy(TrainingTask, BureauOnlyPolicy(TrainingTask))
register_permission_policy(EmploymentBase, BureauOnlyPolicy(EmploymentBase))


def _choice_column(name: str, label: str) -> Column:
    return Column(name, label=label, accessor=f"get_{name}_display", sort_key=name)


class TrainingTaskViewSet(SnippetViewSet):
    model = TrainingTask
    icon = "list-ol"
    menu_label = gettext_lazy("年度目标任务")
    list_display = [
        "year",
        _choice_column("district", gettext_lazy("区县")),
        _choice_column("target_group", gettext_lazy("培训对象")),
        "target",
        "is_demo",
        "note",
    ]
    list_filter = ["year", "district", "is_demo"]
    ordering = ["-year", "district", "target_group"]
    copy_view_enabled = True


class EmploymentBaseViewSet(SnippetViewSet):
    model = EmploymentBase
    icon = "group"
    menu_label = gettext_lazy("就业基数")
    list_display = [
        "year",
        _choice_column("district", gettext_lazy("区县")),
        "employed",
        "skilled",
        "high_skilled",
        "is_demo",
        "source",
    ]
    list_filter = ["year", "district", "is_demo"]
    ordering = ["-year", "district"]


class ReportsGroup(SnippetViewSetGroup):
    items = (TrainingTaskViewSet, EmploymentBaseViewSet)
    menu_label = gettext_lazy("统一报表")
    menu_icon = "table"
    menu_order = 260


register_snippet(ReportsGroup)
