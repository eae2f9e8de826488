"""Pages: roster import (upload → preview → confirm), the class dashboard and its Excel export,
and the roster template. Anonymous visitors go to the login page; users without a class role get
a 403; a class outside the user's reach is a 404."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.models import AuditAction
from audit.services import audit_record
from institutions import roles
from institutions import selectors as institution_selectors
from rosters.demo import sample_roster_xlsx
from rosters.export import XLSX_CONTENT_TYPE, dashboard_xlsx, roster_xlsx
from rosters.models import RosterUpload
from rosters.parsing import RosterFileError, limits
from rosters.selectors import class_dashboard, upload_preview
from rosters.services import RosterRefused, roster_confirm, roster_preview

# The 403 for a class the user may see but not import into (institution_selectors.class_managed_by).
IMPORT_REFUSAL = gettext_lazy("只有本机构工作人员可以导入学员。")


class RosterForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("花名册文件"),
        help_text=gettext_lazy("Excel（.xlsx）或 CSV（UTF-8/GBK），不超过 2 MB、2000 行。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request, class_id: int):
    training_class = institution_selectors.class_managed_by(request.user, class_id, refusal=IMPORT_REFUSAL)
    form = RosterForm()
    context = {"training_class": training_class, "form": form}
    if request.method == "POST":
        form = RosterForm(request.POST, request.FILES)
        context["form"] = form
        if not form.is_valid():
            return render(request, "rosters/import.html", context, status=400)
        upload = form.cleaned_data["file"]
        max_bytes, _rows, _ratio = limits()
        try:
            if upload.size > max_bytes:
                raise RosterFileError(_("文件过大（上限 %(kb)d KB）。") % {"kb": max_bytes // 1024}, 413)
            roster = roster_preview(
                training_class=training_class,
                uploaded_by=request.user,
                content=upload.read(max_bytes + 1),
                filename=upload.name or "",
            )
        except RosterFileError as error:
            context["file_error"] = error.message
            return render(request, "rosters/import.html", context, status=error.status)
        context["preview"] = upload_preview(roster)
    return render(request, "rosters/import.html", context)


@login_required
@require_POST
def roster_import_confirm(request, class_id: int, upload_id):
    training_class = institution_selectors.class_managed_by(request.user, class_id, refusal=IMPORT_REFUSAL)
    upload = RosterUpload.objects.filter(pk=upload_id, training_class=training_class).first()
    if upload is None:
        raise Http404(_("没有这次上传。"))
    try:
        result = roster_confirm(upload=upload, user=request.user, checksum=request.POST.get("checksum", ""))
    except RosterRefused as error:
        context = {"training_class": training_class, "form": RosterForm(), "confirm_error": error.message}
        if upload.confirmed_at is None and upload.payload:
            context["preview"] = upload_preview(upload)
        return render(request, "rosters/import.html", context, status=error.status)
    messages.success(
        request,
        _(
            "导入完成：新开通账号 %(created)d 人，加入班级 %(added)d 人，报名课程 %(enrolled)d 人次。"
            "新账号请学员用“忘记密码”设置密码。"
        )
        % result,
    )
    return redirect("rosters:dashboard", class_id=training_class.pk)


@login_required
@require_GET
def dashboard(request, class_id: int):
    training_class = institution_selectors.class_visible_to(request.user, class_id)
    data = class_dashboard(training_class)
    for row in data["members"]:
        row["credited_hours"] = row["credited_seconds"] / 3600
        row["required_hours"] = row["required_seconds"] / 3600
        row["percent"] = round(100 * row["completion"])
    return render(
        request,
        "rosters/dashboard.html",
        {
            "training_class": training_class,
            "dashboard": data,
            "behind_count": sum(1 for row in data["members"] if row["behind"]),
            "can_manage": roles.can_manage_class(request.user, training_class),
        },
    )


@login_required
@require_GET
def dashboard_export(request, class_id: int):
    training_class = institution_selectors.class_visible_to(request.user, class_id)
    content = dashboard_xlsx(class_dashboard(training_class))
    audit_record(
        request, action=AuditAction.EXPORT, subject="rosters.class_dashboard", object_id=training_class.pk
    )
    return _xlsx(content, f"{training_class.name}-学习情况.xlsx")


@login_required
@require_GET
def roster_template(request):
    """The blank roster template; ``?sample=1`` for one filled with five sample rows."""
    if request.GET.get("sample"):
        return _xlsx(sample_roster_xlsx(), "花名册示例.xlsx")
    return _xlsx(roster_xlsx(), "花名册模板.xlsx")
