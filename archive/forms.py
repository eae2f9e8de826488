"""Forms of the certificate screens."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vocabulary.identity import normalize_id_number, validate_id_number
from vocabulary.training import EXTERNAL_CERTIFICATE_TYPES, CertificateType


class ExternalCertificateForm(forms.Form):
    id_number = forms.CharField(label=_("学员身份证号"), max_length=18)
    type = forms.ChoiceField(
        label=_("证书类型"),
        choices=[
            (value, label) for value, label in CertificateType.choices if value in EXTERNAL_CERTIFICATE_TYPES
        ],
    )
    number = forms.CharField(label=_("证书编号"), max_length=64)
    issuer = forms.CharField(label=_("发证机构"), max_length=100)
    issued_on = forms.DateField(label=_("发证日期"), widget=forms.DateInput(attrs={"type": "date"}))
    scan = forms.FileField(label=_("证书扫描件（PDF、PNG 或 JPG，不超过 10 MB）"))

    def clean_id_number(self):
        value = normalize_id_number(self.cleaned_data["id_number"])
        validate_id_number(value)
        return value

    def clean_issued_on(self):
        value = self.cleaned_data["issued_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("发证日期不能晚于今天。"))
        return value


class RevocationForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=500)
