from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from subsidies.services import REASON_MAX_LENGTH, REFERENCE_MAX_LENGTH


class ClaimForm(forms.Form):
    archive_entry = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    """Approve, or reject with a reason that the person concerned will read. Subclasses name that
    person in ``reason_help`` and ``reason_missing`` (orders.forms: the institution)."""

    reason_help = _("不通过时必填，学员会看到它；通过时可填写说明。")
    reason_missing = _("请填写不通过的原因，学员会看到它。")

    decision = forms.ChoiceField(
        label=pgettext_lazy("decision", "审核意见"),  # approve or reject, not a comment
        choices=[("approve", _("通过")), ("reject", _("不通过"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("原因"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = self.reason_help

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", self.reason_missing)
        return data


class PaymentForm(forms.Form):
    reference = forms.CharField(label=_("支付凭证号"), max_length=REFERENCE_MAX_LENGTH)


class InsuranceRosterForm(forms.Form):
    file = forms.FileField(
        label=_("社保参保名单"),
        help_text=_("Excel（.xlsx）或 CSV（UTF-8/GBK），列：身份证号、参保单位、参保日期。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )
