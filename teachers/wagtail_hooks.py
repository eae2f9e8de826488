"""Editors' screens: the teacher pool and teaching materials as snippets, and vetting log actions."""

import django_filters
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from common.wagtail_labels import updated_column
from courses.models import Occupation
from teachers.admin_views import TeacherEditView, TeacherIndexView, TeacherTransitionView
from teachers.models import Material, Teacher, TeacherState
from teachers.services import LOG_ACTIONS
from vocabulary.training import Level


def _occupations_with(related: str):
    """Only occupations some row uses: the full classification has over 1,600 of them."""

    def queryset(request):
        return Occupation.objects.filter(**{f"{related}__isnull": False}).distinct().order_by("code")

    return queryset


class TeacherFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(label=gettext_lazy("审核状态"), choices=TeacherState.choices)
    specialty = django_filters.ModelChoiceFilter(
        label=gettext_lazy("专长职业"),
        field_name="specialties",
        queryset=_occupations_with("teachers"),
        distinct=True,
    )

    class Meta:
        model = Teacher
        fields = ["state", "specialty"]


class MaterialFilterSet(WagtailFilterSet):
    occupation = django_filters.ModelChoiceFilter(
        label=gettext_lazy("职业（工种）"), queryset=_occupations_with("materials")
    )
    level = django_filters.ChoiceFilter(label=gettext_lazy("等级"), choices=Level.choices)
    provincial_quality = django_filters.BooleanFilter(label=gettext_lazy("省级三优资源"))

    class Meta:
        model = Material
        fields = ["occupation", "level", "provincial_quality"]


class TeacherViewSet(SnippetViewSet):
    model = Teacher
    icon = "user"
    menu_label = gettext_lazy("师资库")
    index_view_class = TeacherIndexView
    edit_view_class = TeacherEditView
    filterset_class = TeacherFilterSet
    list_display = [
        "name",
        "employer",
        "title",
        Column("state", label=gettext_lazy("审核状态"), accessor="get_state_display", sort_key="state"),
        Column("masked_phone", label=gettext_lazy("手机号码")),
        updated_column(),
    ]
    list_export = ["name", "employer", "title", "state", "masked_phone"]
    # Plain "contains" search in the admin: finds Chinese names before segmentation is set up.
    search_fields = ["name", "employer", "title", "bio"]
    search_backend_name = None
    ordering = ["-updated_at", "id"]
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["name", "gender", "employer", "title", "bio", "state", "state_reason"]

    def get_queryset(self, request):
        return Teacher.objects.prefetch_related("specialties")

    @property
    def transition_view(self):
        return TeacherTransitionView.as_view(index_url_name=self.get_url_name("list"))

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("transition/<id:pk>/<slug:to_state>/", self.transition_view, name="transition"),
        ]


class MaterialViewSet(SnippetViewSet):
    model = Material
    icon = "doc-full"
    menu_label = gettext_lazy("教材")
    filterset_class = MaterialFilterSet
    list_display = [
        "title",
        "publisher",
        "isbn",
        "occupation",
        Column("level", label=gettext_lazy("等级"), accessor="get_level_display", sort_key="level"),
        "provincial_quality",
        updated_column(),
    ]
    search_fields = ["title", "authors", "publisher", "summary", "isbn"]
    search_backend_name = None
    copy_view_enabled = False

    def get_queryset(self, request):
        return Material.objects.select_related("occupation")


class ContentPoolGroup(SnippetViewSetGroup):
    items = (TeacherViewSet, MaterialViewSet)
    menu_label = gettext_lazy("师资与教材")
    menu_icon = "group"
    menu_order = 250


register_snippet(ContentPoolGroup)


def _formatter(label: str) -> type[LogFormatter]:
    """A formatter whose message carries the reviewer's reason, shown in the history view."""

    class TeacherVettingFormatter(LogFormatter):
        def format_message(self, log_entry):
            reason = self.format_comment(log_entry)
            return (
                _("%(action)s（原因：%(reason)s）") % {"action": label, "reason": reason} if reason else label
            )

        def format_comment(self, log_entry):
            return (log_entry.data or {}).get("reason", "")

    TeacherVettingFormatter.label = label
    return TeacherVettingFormatter


@hooks.register("register_log_actions")
def register_teacher_log_actions(actions):
    for action, label in LOG_ACTIONS.items():
        actions.register_action(action)(_formatter(label))
