"""Editors' screens: the four catalogs as one "四个目录" menu of moderated snippets.

Each entry is drafted, submitted to the workflow assigned to its catalog (Settings →
Workflows; the demo assigns the site's default workflow, 内容审核), approved and published on its own, with
revisions, comparison, locking and an audit log. Listings filter by status, year, level,
occupation and the catalog's own columns.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from catalogs.choices import InstitutionType
from catalogs.models import DemandEntry, GeneralEntry, InstitutionEntry, KeyIndustryEntry
from common.wagtail_labels import live_status_column, updated_column
from vocabulary.people import District, TargetGroup
from vocabulary.training import Industry, Level


def status_columns() -> list:
    return [updated_column(), live_status_column()]


LIVE_CHOICES = [("1", _("已发布")), ("0", _("草稿/未发布"))]


def _radio_choice(choices, label):
    return django_filters.ChoiceFilter(
        label=label, choices=choices, widget=forms.RadioSelect, empty_label=_("全部")
    )


class EntryFilterSet(WagtailFilterSet):
    live = django_filters.ChoiceFilter(
        label=_("状态"),
        choices=LIVE_CHOICES,
        method="filter_live",
        widget=forms.RadioSelect,
        empty_label=_("全部"),
    )
    year = django_filters.NumberFilter(label=_("年度"))
    level = _radio_choice(Level.choices, _("等级"))
    occupation = django_filters.CharFilter(label=_("职业编码或名称"), method="filter_occupation")

    occupation_path = "occupation"

    def filter_live(self, queryset, name, value):
        return queryset.filter(live=value == "1")

    def filter_occupation(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        path = self.occupation_path
        return queryset.filter(
            Q(**{f"{path}__code__startswith": value}) | Q(**{f"{path}__name__icontains": value})
        ).distinct()


class KeyIndustryFilterSet(EntryFilterSet):
    industry = _radio_choice(Industry.choices, _("产业"))

    class Meta:
        model = KeyIndustryEntry
        fields = []


class GeneralFilterSet(EntryFilterSet):
    class Meta:
        model = GeneralEntry
        fields = []


class DemandFilterSet(EntryFilterSet):
    district = _radio_choice(District.choices, _("区县"))
    target_group = _radio_choice(TargetGroup.choices, _("人员类别"))

    class Meta:
        model = DemandEntry
        fields = []


class InstitutionFilterSet(EntryFilterSet):
    level = django_filters.ChoiceFilter(
        label=_("等级"),
        choices=Level.choices,
        method="filter_level",
        widget=forms.RadioSelect,
        empty_label=_("全部"),
    )
    district = _radio_choice(District.choices, _("区县"))
    institution_type = _radio_choice(InstitutionType.choices, _("机构类型"))

    occupation_path = "occupations"

    class Meta:
        model = InstitutionEntry
        fields = []

    def filter_level(self, queryset, name, value):
        return queryset.filter(levels__icontains=f'"{value}"')


class OccupationEntryViewSet(SnippetViewSet):
    search_fields = ["occupation__code", "occupation__name"]
    search_backend_name = None
    ordering = ["-year", "occupation__code", "level"]
    copy_view_enabled = True
    inspect_view_enabled = True

    def get_queryset(self, request):
        return self.model.objects.select_related("occupation", "latest_revision")


class KeyIndustryViewSet(OccupationEntryViewSet):
    model = KeyIndustryEntry
    icon = "pick"
    menu_label = _("重点产业指导目录")
    url_prefix = "catalogs/key-industry"
    filterset_class = KeyIndustryFilterSet
    list_display = ["__str__", "industry", "subsidy_amount", "year", *status_columns()]


class GeneralViewSet(OccupationEntryViewSet):
    model = GeneralEntry
    icon = "list-ul"
    menu_label = _("一般性培训目录")
    url_prefix = "catalogs/general"
    filterset_class = GeneralFilterSet
    list_display = ["__str__", "subsidy_amount", "year", *status_columns()]


class DemandViewSet(OccupationEntryViewSet):
    model = DemandEntry
    icon = "group"
    menu_label = _("培训需求目录")
    url_prefix = "catalogs/demand"
    filterset_class = DemandFilterSet
    list_display = ["__str__", "district", "target_group", "demand_count", *status_columns()]


class InstitutionViewSet(SnippetViewSet):
    model = InstitutionEntry
    icon = "home"
    menu_label = _("培训机构目录")
    url_prefix = "catalogs/institution"
    filterset_class = InstitutionFilterSet
    search_fields = ["name", "credit_code"]
    search_backend_name = None
    ordering = ["-year", "name"]
    list_display = ["__str__", "credit_code", "district", "institution_type", *status_columns()]
    copy_view_enabled = True
    inspect_view_enabled = True


class CatalogsViewSetGroup(SnippetViewSetGroup):
    menu_label = _("四个目录")
    menu_icon = "table"
    menu_order = 250
    items = (KeyIndustryViewSet, GeneralViewSet, DemandViewSet, InstitutionViewSet)


register_snippet(CatalogsViewSetGroup)
