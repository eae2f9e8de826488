"""Fault: the task worker killed mid-task (``kill -9``). The task stays RUNNING until
``manage.py tasks_recover`` finds it stale and puts it back; a new worker runs it again, once,
and its effect happens exactly once (docs/operations.md, "Background work")."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from common.background import enqueue
from tests import background_tasks

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(django_settings.BASE_DIR)
DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"


def worker(*extra: str) -> subprocess.Popen:
    """``manage.py db_worker`` in its own process, on pytest's test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "TASKS_BACKEND": DATABASE_BACKEND,
        "DJANGO_DEBUG": "1",
    }
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.2",
    ]
    return subprocess.Popen(
        [*command, *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting {seconds:.0f} s for {what}")
        time.sleep(0.1)


def test_a_task_whose_worker_is_killed_runs_again_once(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": DATABASE_BACKEND}}
    effect = tmp_path / "effect"
    enqueue(background_tasks.effect_after_sleep, str(effect), 60)
    row = DBTaskResult.objects.get()

    first = worker()
    try:
        wait_for(
            lambda: effect.exists() and "start" in effect.read_text(), 120, "the worker to start the task"
        )
        first.send_signal(signal.SIGKILL)  # mid-task: it sleeps 60 s before its effect
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING  # what a dead worker leaves behind
    assert effect.read_text().split() == ["start"]

    call_command("tasks_recover", "--older-than", "3600")  # not stale yet: left alone
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING
    time.sleep(1.1)
    call_command("tasks_recover", "--older-than", "1")
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY

    second = worker("--batch")
    try:
        output, _ = second.communicate(timeout=120)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, output.decode(errors="replace")[-2000:]

    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert len(row.worker_ids) == 2  # the lost attempt counted
    assert effect.read_text().split() == ["start", "start", "done"]  # run again, the effect once
