"""Pages: "我的班级" and a class page for institution staff (read-only for district officials
and the bureau), the staff's tools reached from them by links (新建班级, 编辑班级, 添加学员,
布置学习任务; the class's 学习看板, 批量导入 and Excel export are the rosters app's), and
"我的任务" for learners.

Anonymous visitors go to the login page (?next=). A role that may never use a page gets a 403
before any look-up; a class outside the user's reach is a 404; a class they may read but not
change is a 403 (docs/permissions.md, "404 before 403").
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from institutions import roles, selectors, services
from institutions.forms import AssignmentForm, ClassForm, MemberAddForm, errors_onto


def _with_hours(row: dict) -> dict:
    """Add hours and a percentage for display (the API gives seconds)."""
    required = row["required_seconds"] or 0
    row["credited_hours"] = row["credited_seconds"] / 3600
    row["required_hours"] = required / 3600
    row["percent"] = min(100, round(100 * row["credited_seconds"] / required)) if required else 0
    return row


def _class_reader(request):
    if not roles.is_class_reader(request.user):
        raise PermissionDenied(_("只有培训机构、区县人社和市人社局工作人员可以查看班级。"))


@login_required
def class_list(request):
    _class_reader(request)
    classes = selectors.classes_for(request.user).order_by("-starts_on", "id")
    return render(
        request,
        "institutions/class_list.html",
        {"classes": classes, "can_create": roles.can_create_class(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_create(request):
    institution = selectors.staff_institution(request.user)
    if institution is None:
        raise PermissionDenied(_("只有培训机构工作人员可以新建班级。"))
    form = ClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            training_class = services.class_create(institution=institution, **form.service_data())
        except DjangoValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, _("已新建班级“%(name)s”。") % {"name": training_class.name})
            return redirect("institutions:class-detail", class_id=training_class.pk)
    return render(
        request,
        "institutions/class_form.html",
        {"form": form, "institution": institution, "training_class": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_edit(request, class_id: int):
    training_class = selectors.class_managed_by(request.user, class_id)
    form = ClassForm(request.POST or None, training_class=training_class)
    if request.method == "POST" and form.is_valid():
        try:
            services.class_update(training_class=training_class, data=form.service_data())
        except DjangoValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, _("已保存班级信息。"))
            return redirect("institutions:class-detail", class_id=training_class.pk)
    return render(
        request,
        "institutions/class_form.html",
        {"form": form, "institution": training_class.institution, "training_class": training_class},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_member_add(request, class_id: int):
    training_class = selectors.class_managed_by(request.user, class_id)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        learner = form.cleaned_data["learner"]
        try:
            _membership, created = services.class_member_add(training_class=training_class, learner=learner)
        except DjangoValidationError as error:
            errors_onto(form, error)
        else:
            if created:
                messages.success(
                    request,
                    _("已将%(name)s加入班级，并为其报名本班已布置的课程。") % {"name": learner.real_name},
                )
            else:
                messages.info(request, _("%(name)s已在本班级。") % {"name": learner.real_name})
            return redirect("institutions:class-detail", class_id=training_class.pk)
    return render(
        request,
        "institutions/member_add.html",
        {"form": form, "training_class": training_class},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_detail(request, class_id: int):
    training_class = selectors.class_visible_to(request.user, class_id)
    can_manage = roles.can_manage_class(request.user, training_class)
    form = AssignmentForm()
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("只有本机构工作人员可以布置任务。"))
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
                errors_onto(form, error)
            else:
                messages.success(request, _("已布置学习任务，班级学员已自动报名该课程。"))
                return redirect("institutions:class-detail", class_id=training_class.pk)
    assignments = training_class.assignments.select_related("course").prefetch_related("lessons")
    members = [_with_hours(row) for row in selectors.class_members_progress(training_class)]
    return render(
        request,
        "institutions/class_detail.html",
        {
            "training_class": training_class,
            "teachers": selectors.class_teachers(training_class),
            "members": members,
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
        raise PermissionDenied(_("只有注册学员有学习任务。"))
    assignments = list(selectors.learner_assignments(learner))
    progress = selectors.assignments_progress(learner, assignments)
    rows = [_with_hours({"assignment": a, **progress[a.pk]}) for a in assignments]
    return render(request, "institutions/my_assignments.html", {"rows": rows})
