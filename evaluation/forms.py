from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation.models import COMMENT_MAX_LENGTH, REASON_MAX_LENGTH, STARS, DecisionKind
from vocabulary.people import District

YEARS = (2000, 2100)


class RatingForm(forms.Form):
    """我的档案's rating of a completed course (the service checks the completion)."""

    course = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    stars = forms.TypedChoiceField(
        label=_("评分"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(STARS[0], STARS[1] + 1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("评价（选填）"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"maxlength": COMMENT_MAX_LENGTH}),
    )


class ScorecardFilterForm(forms.Form):
    """The list's filters: the year (this year by default) and a district."""

    year = forms.IntegerField(label=_("年度"), required=False, min_value=YEARS[0], max_value=YEARS[1])
    district = forms.ChoiceField(
        label=_("区县"), required=False, choices=[("", _("全部区县")), *District.choices]
    )


class DecisionForm(forms.Form):
    """The bureau's decision on an institution, on the scorecard of the year shown."""

    kind = forms.ChoiceField(label=_("处理决定"), choices=DecisionKind.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("理由"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("必填，培训机构会看到它。"),
    )
    until = forms.DateField(
        label=_("暂停至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("仅暂停接单时填写（含当天）；留空则至解除为止。"),
    )
    year = forms.IntegerField(min_value=YEARS[0], max_value=YEARS[1], widget=forms.HiddenInput)
