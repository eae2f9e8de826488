from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from demand.bulk import MAX_LINES
from demand.models import NOTE_MAX_LENGTH
from demand.selectors import occupation_resolve


class DemandForm(forms.Form):
    """我要培训: an occupation typed as its code or name (suggestions come as the person types),
    and a note. A name several occupations share is answered with them to choose from
    (``candidates``)."""

    occupation = forms.CharField(
        label=gettext_lazy("想参加培训的职业（工种）"),
        max_length=100,
        help_text=gettext_lazy("输入职业名称或代码，如“养老护理员”或 4-10-01-05，再从提示中选择。"),
        widget=forms.TextInput(
            attrs={"list": "occupation-options", "autocomplete": "off", "enterkeyhint": "search"}
        ),
    )
    note = forms.CharField(
        label=gettext_lazy("说明（可不填）"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
        help_text=gettext_lazy("如希望的上课时间、地点、想考的等级。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = []

    def clean_occupation(self):
        text = self.cleaned_data["occupation"]
        resolved = occupation_resolve(text)
        if resolved.occupation is not None:
            return resolved.occupation
        self.candidates = resolved.candidates
        if resolved.candidates:
            raise forms.ValidationError(
                _("有多个职业符合“%(text)s”，请从下面选择一个。") % {"text": text[:30]}
            )
        raise forms.ValidationError(
            _("没有找到“%(text)s”，请换个说法，或按国家职业分类大典填写代码，如 4-10-01-05。")
            % {"text": text[:30]}
        )


class EnterpriseDemandForm(forms.Form):
    """培训需求 (HR): the lines typed, or the filled-in template uploaded."""

    lines = forms.CharField(
        label=gettext_lazy("逐行填写"),
        required=False,
        max_length=MAX_LINES * (NOTE_MAX_LENGTH + 40),
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": format_lazy("4-10-01-05, 12, {}\n6-11-01-03, 8", gettext_lazy("希望周末上课")),
            }
        ),
        help_text=gettext_lazy("每行一个职业：职业代码, 人数, 备注（可不填），用逗号或 Tab 分隔。"),
    )
    file = forms.FileField(
        label=gettext_lazy("或上传 Excel"),
        required=False,
        help_text=gettext_lazy(
            "用下载的模板填写（.xlsx），也可用 CSV（UTF-8/GBK），列：职业代码、职业名称、人数、备注。"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )

    def clean(self):
        data = super().clean()
        has_lines = bool((data.get("lines") or "").strip())
        has_file = bool(data.get("file"))
        if has_lines and has_file:
            raise forms.ValidationError(_("请只用一种方式：逐行填写，或上传文件。"))
        if not has_lines and not has_file and not self.errors:
            raise forms.ValidationError(_("请逐行填写需求，或上传填好的模板。"))
        return data
