"""Reads of the background tasks (django-tasks-db's ``DBTaskResult`` rows) for /ops/tasks/."""

from django.db.models import Count, QuerySet
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from common.background import REQUEST_ID_KWARG


def recent_tasks(status: str = "") -> QuerySet[DBTaskResult]:
    """Newest first; the ones of ``status`` when given."""
    tasks = DBTaskResult.objects.order_by("-enqueued_at")
    return tasks.filter(status=status) if status else tasks


def status_counts() -> dict[str, int]:
    counts = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {status: counts.get(status, 0) for status in TaskResultStatus.values}


def last_error(row: DBTaskResult) -> str:
    """The exception's class and message (the traceback's last line), or ""."""
    lines = [line for line in (row.traceback or "").strip().splitlines() if line.strip()]
    if lines:
        return lines[-1].strip()[:300]
    return row.exception_class_path.rsplit(".", 1)[-1] if row.exception_class_path else ""


def request_id_of(row: DBTaskResult) -> str:
    """The id of the request that queued the task (to find both in the logs)."""
    kwargs = (row.args_kwargs or {}).get("kwargs") or {}
    return str(kwargs.get(REQUEST_ID_KWARG) or "")
