"""Forms of the pages: an offer (the bureau), an application to run one (institution staff), a
decision (the district). The rules that need the database are the services'; the views put their
errors back on these forms (``institutions.forms.errors_onto``)."""

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

import subsidies.forms
from common.text import enumeration
from courses.models import CoursePage
from demand.selectors import occupation_resolve
from institutions.forms import DATE_INPUT
from institutions.models import MAX_CAPACITY, TrainingMode
from orders.models import TrainingOffer
from teachers.selectors import approved_teachers
from vocabulary.people import District, TargetGroup
from vocabulary.training import Level


class TeacherChoiceField(forms.ModelMultipleChoiceField):
    """The teachers by name, their employer in brackets of the page's language."""

    def label_from_instance(self, obj):
        if not obj.employer:
            return obj.name
        return obj.name + gettext("（%(employer)s）") % {"employer": obj.employer}


class OfferForm(forms.Form):
    occupation = forms.CharField(
        label=_("职业（工种）"),
        max_length=100,
        help_text=_("填写职业编码（如 4-10-01-05）或名称。"),
    )
    level = forms.ChoiceField(label=_("等级"), choices=Level.choices, initial=Level.FIVE)
    districts = forms.MultipleChoiceField(
        label=_("服务区县"),
        choices=District.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选则面向全市。"),
    )
    target_groups = forms.MultipleChoiceField(
        label=_("服务人员类别"),
        choices=TargetGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选则面向所有符合条件的人员。"),
    )
    opens_on = forms.DateField(label=_("接单开始日期"), widget=DATE_INPUT)
    closes_on = forms.DateField(label=_("接单截止日期"), widget=DATE_INPUT)
    note = forms.CharField(
        label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, offer: TrainingOffer | None = None, **kwargs):
        if offer is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "occupation": f"{offer.occupation.code} {offer.occupation.name}",
                "level": offer.level,
                "districts": offer.districts,
                "target_groups": offer.target_groups,
                "opens_on": offer.opens_on,
                "closes_on": offer.closes_on,
                "note": offer.note,
            }
        super().__init__(*args, **kwargs)

    def clean_occupation(self):
        resolved = occupation_resolve(self.cleaned_data["occupation"])
        if resolved.occupation is None:
            if resolved.candidates:
                names = enumeration(f"{o.code} {o.name}" for o in resolved.candidates[:5])
                raise forms.ValidationError(_("请选定一个职业（工种），例如：%(names)s") % {"names": names})
            raise forms.ValidationError(_("没有这个职业（工种），请填写国家职业分类中的编码或名称。"))
        return resolved.occupation

    def clean(self):
        data = super().clean()
        opens_on, closes_on = data.get("opens_on"), data.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", _("接单截止日期不能早于开始日期。"))
        return data


class ApplicationForm(forms.Form):
    """A class to run an offer: the institution is the staff member's own, never chosen."""

    course = forms.ModelChoiceField(
        label=pgettext_lazy("field", "课程"),
        queryset=CoursePage.objects.none(),
        help_text=_("只列出本清单职业（工种）和等级的已发布课程。"),
    )
    name = forms.CharField(label=_("班级名称"), max_length=200)
    starts_on = forms.DateField(label=_("开班日期"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("结业日期"), widget=DATE_INPUT)
    mode = forms.ChoiceField(
        label=_("授课方式"),
        choices=TrainingMode.choices,
        initial=TrainingMode.OFFLINE,
        widget=forms.RadioSelect,
    )
    place = forms.CharField(
        label=_("上课地点"), max_length=200, required=False, help_text=_("线下或线上线下结合授课时必填。")
    )
    capacity = forms.IntegerField(label=_("班额（人）"), min_value=1, max_value=MAX_CAPACITY)
    teachers = TeacherChoiceField(
        label=_("授课教师"),
        queryset=approved_teachers().none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("从师资库中审核通过的教师里选择。"),
    )

    def __init__(self, *args, courses=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses if courses is not None else CoursePage.objects.none()
        self.fields["teachers"].queryset = approved_teachers()


class DecisionForm(subsidies.forms.DecisionForm):
    """The district's decision on an application: the reason goes to the institution."""

    reason_help = _("不通过时必填，培训机构会看到它。")
    reason_missing = _("请填写不通过的原因，培训机构会看到它。")
