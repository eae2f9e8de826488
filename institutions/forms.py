"""Forms of the staff pages: a class (create and edit), a member to add, a module to assign.

They check what a field can say on its own; the rules that need the database (capacity against
the members, a course assigned once, approved teachers) are the services', whose errors the
views put back on these forms (``errors_onto``).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courses.models import CoursePage
from institutions.models import MAX_CAPACITY, TrainingClass, TrainingMode
from learners.models import Learner
from teachers.selectors import approved_teachers
from vocabulary.identity import normalize_id_number, validate_id_number

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def errors_onto(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has that field,
    else at the top of the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.error_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error)


def published_courses():
    return CoursePage.objects.live().order_by("title")


class ClassForm(forms.Form):
    """A class's name, course, dates, capacity, mode and place, and teachers from the vetted pool.
    The institution is never on the form: it is the staff member's own."""

    name = forms.CharField(
        label=_("班级名称"), max_length=200, help_text=_("如：2026年养老护理员（五级）第3期")
    )
    course = forms.ModelChoiceField(
        label=pgettext_lazy("field", "课程"),
        queryset=CoursePage.objects.none(),
        help_text=_("只列出已发布的课程。"),
    )
    starts_on = forms.DateField(label=_("开班日期"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("结业日期"), widget=DATE_INPUT)
    capacity = forms.IntegerField(
        label=_("班额（人）"),
        required=False,
        min_value=1,
        max_value=MAX_CAPACITY,
        help_text=_("班级最多容纳的学员人数；留空则不限。"),
    )
    mode = forms.ChoiceField(
        label=_("授课方式"),
        choices=TrainingMode.choices,
        initial=TrainingMode.ONLINE,
        widget=forms.RadioSelect,
    )
    place = forms.CharField(
        label=_("上课地点"), max_length=200, required=False, help_text=_("线下或线上线下结合授课时必填。")
    )
    teacher = forms.ModelChoiceField(
        label=_("主讲教师"),
        queryset=approved_teachers().none(),
        required=False,
        empty_label=_("（不指定）"),
        help_text=_("从师资库中审核通过的教师里选择；不指定则由第一位授课教师担任。"),
    )
    teachers = forms.ModelMultipleChoiceField(
        label=_("其他授课教师"),
        queryset=approved_teachers().none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, training_class: TrainingClass | None = None, **kwargs):
        if training_class is not None and "initial" not in kwargs:
            lead = training_class.teacher_id
            kwargs["initial"] = {
                "name": training_class.name,
                "course": training_class.course_id,
                "starts_on": training_class.starts_on,
                "ends_on": training_class.ends_on,
                "capacity": training_class.capacity,
                "mode": training_class.mode,
                "place": training_class.place,
                "teacher": lead,
                "teachers": [t.pk for t in training_class.teachers.all() if t.pk != lead],
            }
        super().__init__(*args, **kwargs)
        courses = published_courses()
        if training_class is not None:  # its course stays a choice, even if since unpublished
            courses = courses | CoursePage.objects.filter(pk=training_class.course_id)
        self.fields["course"].queryset = courses.order_by("title")
        self.fields["teacher"].queryset = approved_teachers()
        self.fields["teachers"].queryset = approved_teachers()

    def service_data(self) -> dict:
        """The cleaned data as the services take it: the lead first among the teachers."""
        data = dict(self.cleaned_data)
        lead = data.pop("teacher")
        others = list(data.pop("teachers"))
        data["teacher"] = lead
        data["teachers"] = [lead, *others] if lead else others
        return data


class MemberAddForm(forms.Form):
    """A registered learner, found by real name and ID number (both must match: no probing)."""

    real_name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        validators=[validate_id_number],
        help_text=_("学员须已在平台注册；尚未注册的学员，请用“批量导入”开通账号。"),
    )

    def clean(self):
        data = super().clean()
        name, number = data.get("real_name"), data.get("id_number")
        if name and number:
            learner = Learner.objects.with_id_number(normalize_id_number(number)).first()
            if learner is None or learner.real_name != name.strip():
                raise ValidationError(
                    _("没有找到姓名与身份证号一致的注册学员。请核对；尚未注册的学员请用“批量导入”开通账号。")
                )
            data["learner"] = learner
        return data


class AssignmentForm(forms.Form):
    course = forms.ModelChoiceField(label=pgettext_lazy("field", "课程"), queryset=CoursePage.objects.none())
    opens_at = forms.DateTimeField(
        label=_("开始时间"), required=False, widget=DATETIME_INPUT, help_text=_("留空则从现在开始。")
    )
    due_at = forms.DateTimeField(label=_("截止时间"), widget=DATETIME_INPUT)
    note = forms.CharField(
        label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = published_courses()

    def clean(self):
        data = super().clean()
        opens_at, due_at = data.get("opens_at"), data.get("due_at")
        if due_at and due_at <= (opens_at or timezone.now()):
            self.add_error("due_at", _("截止时间须晚于开始时间。"))
        return data
