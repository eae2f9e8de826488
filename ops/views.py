"""The operators' page of the background tasks (``/ops/tasks/``): the recent tasks with their
status, attempts and last error, filtered by status, and a retry for a failed one.

Who: the bureau (superusers count), the platform's operators (docs/operations.md). The
last error shows as the exception's class and message; the traceback only to superusers (it may
quote data). Anonymous visitors go to the login page (?next=), any other role gets a 403.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from audit.models import AuditAction
from audit.services import audit_record
from common.background import retry_by_hand
from institutions.roles import Role, roles_of
from ops import selectors

PAGE_SIZE = 50
STATUS_LABELS = {
    TaskResultStatus.READY: gettext_lazy("等待执行"),
    TaskResultStatus.RUNNING: gettext_lazy("执行中"),
    TaskResultStatus.FAILED: gettext_lazy("失败"),
    TaskResultStatus.SUCCESSFUL: gettext_lazy("成功"),
}


class TaskFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部"))] + list(STATUS_LABELS.items()),
        error_messages={
            "invalid_choice": gettext_lazy("状态只能是：等待执行、执行中、失败、成功，或留空查看全部。")
        },
    )


def can_operate(user) -> bool:
    return Role.BUREAU in roles_of(user)


def _operator(request):
    if not can_operate(request.user):
        raise PermissionDenied(_("只有市人社局的运维人员可以查看后台任务。"))


@login_required
@require_GET
def task_list(request):
    _operator(request)
    form = TaskFilterForm(request.GET)
    valid = form.is_valid()
    status = form.cleaned_data.get("status", "") if valid else ""
    page = Paginator(selectors.recent_tasks(status), PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.status_label = STATUS_LABELS.get(row.status, row.status)
        row.attempts = len(row.worker_ids)
        row.error = selectors.last_error(row)
        row.request_id = selectors.request_id_of(row)
    counts = [(STATUS_LABELS[value], value, n) for value, n in selectors.status_counts().items()]
    return render(
        request,
        "ops/task_list.html",
        {
            "page": page,
            "form": form,
            "status": status,
            "counts": counts,
            "show_traceback": request.user.is_superuser,
        },
        status=200 if valid else 400,
    )


@login_required
@require_POST
def task_retry(request, result_id):
    _operator(request)
    row = DBTaskResult.objects.filter(pk=result_id).first()
    if row is None:
        raise Http404(_("没有这个任务。"))
    if retry_by_hand(row.pk):
        audit_record(
            request,
            action=AuditAction.DECISION,
            subject="ops.task",
            object_id=str(row.pk),
            detail={"retry": row.task_path, "error": selectors.last_error(row)},
        )
        messages.success(request, _("已重新排队，工作进程会尽快执行。"))
    else:
        messages.warning(request, _("这个任务不是失败状态（可能已被重试或正在执行），无需重试。"))
    return redirect(reverse("ops:tasks") + "?status=" + TaskResultStatus.FAILED, permanent=False)
