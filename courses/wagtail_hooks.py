"""Editors' screens: the occupation field as a searchable chooser.

The national classification has over 1,600 occupations: a plain select cannot be searched. A
Wagtail chooser (a modal listing, searched as one types, by name or code) replaces it for every
ForeignKey to ``Occupation`` in Wagtail's forms (``register_widget``): courses, questions, teaching
materials, catalog entries. The search is a plain "contains" on name and code, so 电工 finds
维修电工 and 6-31 finds its group without a full-text index.
"""

from django import forms
from django.db.models import Case, IntegerField, Q, When
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet

from courses.models import Occupation

MAX_QUERY = 100


class OccupationSearchForm(BaseFilterForm):
    q = forms.CharField(
        label=_("搜索职业"),
        max_length=MAX_QUERY,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("职业名称或代码，如：电工、6-31")}),
    )

    def filter(self, objects):
        objects = super().filter(objects)
        text = (self.cleaned_data.get("q") or "").strip()
        if text:
            objects = (
                objects.filter(
                    Q(name__icontains=text) | Q(code__startswith=text) | Q(middle_group__icontains=text)
                )
                .annotate(
                    # 电工 itself before 电工电器工程技术人员, then the rest in code order.
                    match_rank=Case(
                        When(name=text, then=0),
                        When(name__startswith=text, then=1),
                        When(name__icontains=text, then=2),
                        default=3,
                        output_field=IntegerField(),
                    )
                )
                .order_by("match_rank", "code")
            )
            self.is_searching = True
            self.search_query = text
        return objects


class OccupationColumnsMixin:
    filter_form_class = OccupationSearchForm

    @property
    def columns(self):
        # The title column shows "code name" (Occupation.__str__); the group helps tell apart
        # occupations of the same name in different groups.
        return super().columns + [Column("middle_group", label=_("中类"), accessor="middle_group")]


class OccupationChooseView(OccupationColumnsMixin, ChooseView):
    pass


class OccupationChooseResultsView(OccupationColumnsMixin, ChooseResultsView):
    pass


class OccupationChooserViewSet(ChooserViewSet):
    model = Occupation
    icon = "tag"
    choose_one_text = _("选择职业")
    choose_another_text = _("更换职业")
    page_title = _("选择职业（工种）")
    search_tab_label = _("搜索")
    per_page = 20
    choose_view_class = OccupationChooseView
    choose_results_view_class = OccupationChooseResultsView
    # No "create" tab: the classification is loaded from its published edition.


occupation_chooser_viewset = OccupationChooserViewSet("occupation_chooser", url_prefix="occupations/chooser")


@hooks.register("register_admin_viewset")
def register_occupation_chooser():
    return occupation_chooser_viewset
