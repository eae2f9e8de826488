"""The one way the platform hands work to the background (Django's tasks API, django-tasks).

- ``@background_task()`` declares a task (it wraps django-tasks' ``@task``): the task runs under
  the request id of the request that enqueued it (``common.request_id``), so one search of the
  logs finds the request and its task, and a failed attempt is retried.
- ``enqueue(task, *args, **kwargs)`` queues it once the current transaction commits, so a worker
  never sees a task about rows it cannot read yet; outside a transaction it queues at once.

Retries (the database backend, ``manage.py db_worker``): an attempt that raises is recorded on
the task's row (the worker writes the exception class and traceback, and counts the attempt in
``worker_ids``); the row goes back to READY with a back-off (``run_after``: 30 s, 60 s, 120 s…
capped at an hour) until ``TASK_MAX_ATTEMPTS`` attempts (default 3); the last failure stays
FAILED and shows on the operators' page (``/ops/tasks/``), where it can be retried by hand. The
immediate backend (the embedded default, and the tests) runs each task once, inline, as before.

A worker killed mid-task leaves its task RUNNING: ``recover_stale()`` (``manage.py
tasks_recover``, scheduled and at worker start) puts a task RUNNING for longer than
``TASK_STALE_SECONDS`` (default 900) back to READY, counting the lost attempt, or FAILED
(``WorkerLost``) when it had its last attempt. So a task runs again after a crash, possibly a
second time after a partial run: every task must be idempotent (each says why it is).
"""

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks.signals import task_finished

from common import request_id

logger = logging.getLogger(__name__)

# The keyword argument that carries the request id into the task (stripped before the call).
REQUEST_ID_KWARG = "_request_id"
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


class WorkerLost(Exception):
    """The worker running the task died (killed, out of memory, machine lost) before it ended."""


def max_attempts_default() -> int:
    return max(1, int(getattr(settings, "TASK_MAX_ATTEMPTS", 3)))


def stale_seconds() -> int:
    return max(1, int(getattr(settings, "TASK_STALE_SECONDS", 900)))


def backoff_seconds(attempts: int) -> int:
    """The wait after the ``attempts``-th failed attempt: 30 s, 60 s, 120 s… at most an hour."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)


def background_task(*, max_attempts: int | None = None, priority: int = 0, queue_name: str = "default"):
    """Declare a background task: ``@background_task()`` on a module-level function.

    ``max_attempts`` overrides ``TASK_MAX_ATTEMPTS`` for this task (1: never retried, for work
    that has its own retry policy, like the WeChat notices)."""

    def decorate(function: Callable) -> Any:
        @functools.wraps(function)
        def run(*args, **kwargs):
            token = request_id.bind(kwargs.pop(REQUEST_ID_KWARG, None) or request_id.new_id())
            try:
                return function(*args, **kwargs)
            finally:
                request_id.reset(token)

        run.max_attempts = max_attempts  # read by the retry (None: the setting)
        return task(priority=priority, queue_name=queue_name)(run)

    return decorate


def runs_inline(declared_task) -> bool:
    """Whether the task's backend runs it in the caller (the immediate backend)."""
    from django_tasks.backends.immediate import ImmediateBackend

    return isinstance(declared_task.get_backend(), ImmediateBackend)


def attempts_allowed(declared_task) -> int:
    """How many attempts the task gets; tasks declared with plain ``@task`` get one."""
    if not hasattr(declared_task.func, "max_attempts"):
        return 1
    return declared_task.func.max_attempts or max_attempts_default()


def enqueue(declared_task, *args, **kwargs) -> None:
    """Queue ``declared_task(*args, **kwargs)`` once the current transaction commits (at once
    outside one), under the current request id. A queueing failure is logged and never fails
    the caller (``robust``): each caller says how the work is caught up then."""
    kwargs[REQUEST_ID_KWARG] = request_id.current() if request_id.current() != "-" else request_id.new_id()
    transaction.on_commit(functools.partial(declared_task.enqueue, *args, **kwargs), robust=True)


def enqueue_now(declared_task, *args, **kwargs):
    """Queue at once and return the task result (for a caller that shows or keeps its id)."""
    kwargs[REQUEST_ID_KWARG] = request_id.current() if request_id.current() != "-" else request_id.new_id()
    return declared_task.enqueue(*args, **kwargs)


@receiver(task_finished, dispatch_uid="common.background.retry")
def retry_failed(sender, task_result, **kwargs) -> None:
    """A failed attempt of a database-backed task goes back to READY after a back-off, until the
    task's attempts are spent (then it stays FAILED)."""
    if task_result.status != TaskResultStatus.FAILED or not hasattr(task_result, "db_result"):
        return
    attempts = len(task_result.worker_ids)
    if attempts >= attempts_allowed(task_result.task):
        return
    from django_tasks_db.models import DBTaskResult

    run_after = timezone.now() + dt.timedelta(seconds=backoff_seconds(attempts))
    try:
        DBTaskResult.objects.filter(pk=task_result.db_result.pk, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=run_after, finished_at=None
        )
    except DatabaseError:  # the worker must live on: the task stays FAILED, retried by hand
        logger.exception("Task %s failed and could not be queued again", task_result.id)
        return
    logger.warning(
        "Task %s (%s) failed attempt %s; again at %s",
        task_result.id,
        task_result.task.module_path,
        attempts,
        run_after.isoformat(),
    )


def _attempts_allowed_of_row(row) -> int:
    try:
        return attempts_allowed(row.task)
    except Exception:  # the task's code is gone (renamed, removed): one attempt
        return 1


def recover_stale(*, older_than: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Put tasks RUNNING for longer than ``older_than`` seconds (``TASK_STALE_SECONDS``) back to
    READY, or FAILED with ``WorkerLost`` when that was their last attempt; the counts.

    A RUNNING row older than that is taken for an attempt whose worker died: the setting must
    exceed the longest task. Each row is recovered once per attempt (the next worker's claim
    makes it RUNNING with a fresh ``started_at``)."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=older_than if older_than is not None else stale_seconds())
    counts = {"ready": 0, "failed": 0}
    with transaction.atomic():
        stale = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
        for row in stale.select_for_update(skip_locked=True):
            attempts = len(row.worker_ids)
            row.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
            row.traceback = (
                f"WorkerLost: the worker died during attempt {attempts} (started {row.started_at})"
            )
            if attempts >= _attempts_allowed_of_row(row):
                row.status, row.finished_at, when = TaskResultStatus.FAILED, now, "finished_at"
                counts["failed"] += 1
            else:
                row.status, row.run_after, when = TaskResultStatus.READY, now, "run_after"
                counts["ready"] += 1
            row.save(update_fields=["status", when, "exception_class_path", "traceback"])
            logger.warning("Task %s (%s) lost its worker: %s", row.pk, row.task_path, row.status)
    return counts


def retry_by_hand(result_id) -> bool:
    """Queue a FAILED database-backed task again, as new (an operator's retry): its attempts start
    over. False when the task is not FAILED (already retried, or running)."""
    from django_tasks_db.models import DBTaskResult

    return bool(
        DBTaskResult.objects.filter(pk=result_id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=timezone.now(), finished_at=None, worker_ids=[]
        )
    )
