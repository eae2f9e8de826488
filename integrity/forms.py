"""Forms of the review pages. Whole numbers are read in ASCII digits only (``common.text.
ascii_int``): ``int`` accepts other scripts' digits that nothing else here would."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.text import ascii_int
from integrity.models import REASON_MAX_LENGTH, CaseStatus, DecisionKind, SubjectKind
from integrity.services import RECORD_DAYS
from vocabulary.people import District


class AsciiIntegerField(forms.IntegerField):
    """An IntegerField that refuses digits other than ASCII ones, with a message."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = ascii_int(str(value).strip())
        if number is None:
            raise ValidationError(_("请输入阿拉伯数字（0–9）表示的整数。"), code="invalid")
        return number


class AsciiModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose id is read in ASCII digits only (``int`` would take ``١`` for 1)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if ascii_int(str(value).strip()) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *CaseStatus.choices]
    )
    district = forms.ChoiceField(
        label=_("区县"), required=False, choices=[("", _("全部区县")), *District.choices]
    )


class DecisionForm(forms.Form):
    """A reviewer's decision on a case. ``entries`` lists the learner's archive entries (a
    checklist, the suggested ones checked)."""

    kind = forms.ChoiceField(label=_("处理决定"), choices=DecisionKind.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("理由"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX_LENGTH}),
        help_text=_("必填，最多 1000 字，记入审计日志。"),
    )
    entries = forms.MultipleChoiceField(
        label=_("认定学时无效的档案条目"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("仅“认定学时无效”时适用；不选则按异常信号所涉课程的档案条目处理。"),
    )
    record = forms.BooleanField(label=_("登记失信记录"), required=False)
    dishonesty_days = AsciiIntegerField(
        label=_("失信记录期限（天）"),
        required=False,
        min_value=RECORD_DAYS[0],
        max_value=RECORD_DAYS[1],
        help_text=_("自今天起计算，1 至 1825 天。"),
    )

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entries"].choices = [(str(pk), label) for pk, label in entries]

    def clean(self):
        data = super().clean()
        if (
            data.get("record")
            and data.get("dishonesty_days") is None
            and "dishonesty_days" not in self.errors
        ):
            self.add_error("dishonesty_days", _("登记失信记录时请填写期限（天）。"))
        return data

    def entry_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("entries") or []]

    def days(self) -> int | None:
        return self.cleaned_data.get("dishonesty_days") if self.cleaned_data.get("record") else None


class RecordFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("对象类型"), required=False, choices=[("", _("全部")), *SubjectKind.choices]
    )
    active = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("1", _("生效中")), ("0", _("未生效、已到期或已撤销"))],
    )


class RecordForm(forms.Form):
    """A dishonesty record entered by hand: the subject by what identifies it (an ID number, a
    credit code, an institution from the list)."""

    subject_kind = forms.ChoiceField(
        label=_("对象类型"), choices=SubjectKind.choices, widget=forms.RadioSelect
    )
    id_number = forms.CharField(
        label=_("身份证号（个人）"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    credit_code = forms.CharField(label=_("统一社会信用代码（企业）"), required=False, max_length=30)
    institution = AsciiModelChoiceField(label=_("培训机构"), required=False, queryset=None)
    reason = forms.CharField(
        label=_("失信事由"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX_LENGTH}),
    )
    starts_on = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("截止日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("当日仍有效，次日起失效。"),
    )

    def __init__(self, *args, institutions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions


class LiftForm(forms.Form):
    lift_reason = forms.CharField(
        label=_("撤销理由"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX_LENGTH}),
    )
