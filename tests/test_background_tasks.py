"""Background work through common.background: retries with back-off, the last failure kept,
the request id carried into the task, after-commit queueing, and the recovery of tasks whose
worker died (docs/operations.md, "Background work"). The worker runs in this process here;
tests/test_faults_worker.py kills a real one."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from common import request_id
from common.background import WorkerLost, enqueue, recover_stale
from tests import background_tasks

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def database_backend(settings):
    settings.TASKS = DATABASE_BACKEND
    settings.TASK_MAX_ATTEMPTS = 3


def work_off_the_queue():
    """One worker run that takes every task due now and exits."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def time_passes(row: DBTaskResult) -> None:
    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())


def runs(path) -> list[str]:
    return path.read_text().split() if path.exists() else []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_that_fails_twice_is_retried_with_back_off_and_then_succeeds(database_backend, tmp_path):
    log = tmp_path / "runs"
    enqueue(background_tasks.fail_then_succeed, str(log), 2)
    row = DBTaskResult.objects.get()

    work_off_the_queue()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY and len(row.worker_ids) == 1
    assert row.exception_class_path == "builtins.ConnectionError"
    assert "the service is down (run 1)" in row.traceback
    # Not again at once: 30 s later, and the worker leaves it until then.
    assert 25 <= (row.run_after - timezone.now()).total_seconds() <= 31
    work_off_the_queue()
    assert runs(log) == ["run"]

    time_passes(row)
    work_off_the_queue()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY and len(row.worker_ids) == 2
    assert 55 <= (row.run_after - timezone.now()).total_seconds() <= 61  # the back-off doubles

    time_passes(row)
    work_off_the_queue()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == 3
    assert len(row.worker_ids) == 3 and runs(log) == ["run", "run", "run"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_last_failure_stays_failed_with_its_error(database_backend, settings, tmp_path):
    settings.TASK_MAX_ATTEMPTS = 2
    log = tmp_path / "runs"
    enqueue(background_tasks.always_fails, str(log))
    row = DBTaskResult.objects.get()
    work_off_the_queue()
    time_passes(row)
    work_off_the_queue()
    work_off_the_queue()  # nothing more: the attempts are spent

    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED and len(row.worker_ids) == 2
    assert row.traceback.strip().splitlines()[-1] == "ValueError: 身份证号格式不正确"
    assert runs(log) == ["run", "run"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_logs_under_the_request_id_that_queued_the_task(database_backend, tmp_path):
    log = tmp_path / "ids"
    token = request_id.bind("req-from-nginx-0001")
    try:
        enqueue(background_tasks.note_request_id, str(log))
    finally:
        request_id.reset(token)
    assert request_id.current() == "-"

    work_off_the_queue()
    assert runs(log) == ["req-from-nginx-0001"]
    assert request_id.current() == "-"  # the worker's own id is back after the task


@pytest.mark.django_db
def test_a_task_is_queued_only_once_its_rows_are_committed(django_capture_on_commit_callbacks, tmp_path):
    log = tmp_path / "ids"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue(background_tasks.note_request_id, str(log))
        assert runs(log) == []  # not before the commit
    assert len(callbacks) == 1
    [ran_under] = runs(log)
    assert ran_under != "-"  # outside a request the task gets an id of its own


@pytest.mark.django_db
def test_the_immediate_backend_runs_a_task_once_inline_as_before(
    django_capture_on_commit_callbacks, tmp_path
):
    log = tmp_path / "runs"
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(background_tasks.fail_then_succeed, str(log), 1)
    assert runs(log) == ["run"]  # failed, not retried inline: no request waits on a back-off


def running_row(started_seconds_ago: int, attempts: int) -> DBTaskResult:
    result = background_tasks.effect_after_sleep.enqueue("/nonexistent", 0)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - dt.timedelta(seconds=started_seconds_ago),
        worker_ids=[f"worker-{n}" for n in range(attempts)],
    )
    return DBTaskResult.objects.get(pk=result.id)


@pytest.mark.django_db
def test_recovery_runs_again_a_task_whose_worker_died_and_leaves_a_running_one(database_backend, settings):
    settings.TASK_STALE_SECONDS = 900
    lost = running_row(started_seconds_ago=901, attempts=1)
    busy = running_row(started_seconds_ago=60, attempts=1)
    lost_at_last = running_row(started_seconds_ago=3600, attempts=3)

    assert recover_stale() == {"ready": 1, "failed": 1}

    lost.refresh_from_db(), busy.refresh_from_db(), lost_at_last.refresh_from_db()
    assert lost.status == TaskResultStatus.READY and lost.run_after <= timezone.now()
    assert lost.exception_class_path.endswith("WorkerLost")
    assert busy.status == TaskResultStatus.RUNNING
    assert lost_at_last.status == TaskResultStatus.FAILED
    assert lost_at_last.exception_class_path == f"{WorkerLost.__module__}.WorkerLost"
    assert recover_stale() == {"ready": 0, "failed": 0}  # once per attempt


@pytest.mark.django_db
def test_the_recovery_command_prints_its_counts_and_refuses_a_bad_threshold(database_backend):
    from io import StringIO

    from django.core.management.base import CommandError

    running_row(started_seconds_ago=120, attempts=1)
    out = StringIO()
    call_command("tasks_recover", "--older-than", "60", stdout=out)
    assert out.getvalue().strip() == "ready again 1, failed (last attempt) 0"
    with pytest.raises(CommandError, match="at least 1 second"):
        call_command("tasks_recover", "--older-than", "0")
