"""Tasks for the background-work tests (a task must be a module-level function the worker can
import by its path). Each writes what it did to a file, so a worker in another process can be
observed; the files stand in for a task's effect."""

import time
from pathlib import Path

from common import request_id
from common.background import background_task


def _lines(path: str) -> list[str]:
    file = Path(path)
    return file.read_text().split() if file.exists() else []


def _append(path: str, word: str) -> None:
    with open(path, "a") as file:
        file.write(word + "\n")
        file.flush()


@background_task()
def effect_after_sleep(path: str, seconds: float) -> str:
    """Writes "start", sleeps ``seconds`` on its first run only, then writes "done" once.

    Idempotent as every task must be: a run that finds "done" does nothing more."""
    first_run = "start" not in _lines(path)
    _append(path, "start")
    if first_run:
        time.sleep(seconds)
    if "done" not in _lines(path):
        _append(path, "done")
    return "done"


@background_task()
def fail_then_succeed(path: str, failures: int) -> int:
    """Raises on its first ``failures`` runs, then succeeds; returns the number of runs."""
    _append(path, "run")
    runs = len(_lines(path))
    if runs <= failures:
        raise ConnectionError(f"the service is down (run {runs})")
    return runs


@background_task()
def always_fails(path: str) -> None:
    _append(path, "run")
    raise ValueError("身份证号格式不正确")


@background_task()
def note_request_id(path: str) -> str:
    _append(path, request_id.current())
    return request_id.current()
