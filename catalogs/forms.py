"""The GET filter form of a catalog page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalogs.choices import CatalogKind, InstitutionType
from vocabulary.people import District, TargetGroup
from vocabulary.training import Industry, Level

ALL = [("", _("全部"))]

# Which filters each catalog page offers, besides occupation, level and year.
EXTRA_FILTERS = {
    CatalogKind.KEY_INDUSTRY: ("industry",),
    CatalogKind.GENERAL: (),
    CatalogKind.DEMAND: ("district", "target_group"),
    CatalogKind.INSTITUTION: ("district", "institution_type"),
}


class CatalogFilterForm(forms.Form):
    occupation = forms.CharField(
        label=_("职业"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": _("编码或名称，如 4-10-01-05 或 养老"), "type": "search"}
        ),
    )
    level = forms.ChoiceField(label=_("等级"), required=False, choices=ALL + Level.choices)
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int, empty_value=None)
    industry = forms.ChoiceField(label=_("产业"), required=False, choices=ALL + Industry.choices)
    district = forms.ChoiceField(label=_("区县"), required=False, choices=ALL + District.choices)
    target_group = forms.ChoiceField(label=_("人员类别"), required=False, choices=ALL + TargetGroup.choices)
    institution_type = forms.ChoiceField(
        label=_("机构类型"), required=False, choices=ALL + InstitutionType.choices
    )

    def __init__(self, *args, kind: str, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = ALL + [(year, str(year)) for year in years]
        for name in ("industry", "district", "target_group", "institution_type"):
            if name not in EXTRA_FILTERS[kind]:
                del self.fields[name]

    def filters(self) -> dict:
        """The valid filter values, for ``selectors.entries_filter``; invalid ones are dropped
        (the form shows their errors)."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        values = {name: cleaned.get(name) for name in self.fields if name not in self.errors}
        values["occupation_text"] = (values.pop("occupation", "") or "").strip()
        return {name: value for name, value in values.items() if value}
