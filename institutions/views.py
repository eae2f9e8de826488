"""Pages: "我的班级" and a class page for institution staff (read-only for district officials
and the bureau), "我的任务" for learners. Anonymous visitors go to the login page (?next=),
users without the role get a 403."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from courses.models import CoursePage
from institutions import roles, selectors, services


class AssignmentForm(forms.Form):
    course = forms.ModelChoiceField(label="课程", queryset=CoursePage.objects.none())
    opens_at = forms.DateTimeField(
        label="开始时间", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    due_at = forms.DateTimeField(
        label="截止时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(
        label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = CoursePage.objects.live().order_by("title")

    def clean(self):
        data = super().clean()
        opens_at, due_at = data.get("opens_at"), data.get("due_at")
        if due_at and due_at <= (opens_at or timezone.now()):
            self.add_error("due_at", "截止时间须晚于开始时间。The due time must be after the opening time.")
        return data


def _with_hours(row: dict) -> dict:
    """Add hours and a percentage for display (the API gives seconds)."""
    required = row["required_seconds"] or 0
    row["credited_hours"] = row["credited_seconds"] / 3600
    row["required_hours"] = required / 3600
    row["percent"] = min(100, round(100 * row["credited_seconds"] / required)) if required else 0
    return row


def _class_reader(request):
    if not roles.is_class_reader(request.user):
        raise PermissionDenied("只有培训机构、区县人社和市人社局工作人员可以查看班级。")


@login_required
def class_list(request):
    _class_reader(request)
    classes = selectors.classes_for(request.user).order_by("-starts_on", "id")
    return render(request, "institutions/class_list.html", {"classes": classes})


@login_required
def class_detail(request, class_id: int):
    _class_reader(request)
    training_class = selectors.visible_class(request.user, class_id)
    if training_class is None:
        raise Http404("没有这个班级。")
    can_manage = roles.can_manage_class(request.user, training_class)
    form = AssignmentForm()
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("只有本机构工作人员可以布置任务。")
        form = AssignmentForm(request.POST)
        if form.is_valid():
            try:
                services.assignment_create(
                    training_class=training_class,
                    course=form.cleaned_data["course"],
                    opens_at=form.cleaned_data["opens_at"],
                    due_at=form.cleaned_data["due_at"],
                    note=form.cleaned_data["note"],
                    created_by=request.user,
                )
            except DjangoValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "已布置学习任务，班级学员已自动报名该课程。")
                return redirect("institutions:class-detail", class_id=training_class.pk)
    assignments = training_class.assignments.select_related("course").prefetch_related("lessons")
    return render(
        request,
        "institutions/class_detail.html",
        {
            "training_class": training_class,
            "members": [_with_hours(row) for row in selectors.class_members_progress(training_class)],
            "assignments": assignments,
            "can_manage": can_manage,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
def my_assignments(request):
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied("只有注册学员有学习任务。")
    assignments = list(selectors.learner_assignments(learner))
    progress = selectors.assignments_progress(learner, assignments)
    rows = [_with_hours({"assignment": a, **progress[a.pk]}) for a in assignments]
    return render(request, "institutions/my_assignments.html", {"rows": rows})
