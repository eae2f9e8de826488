"""/ops/tasks/: the operators' list of background tasks and the retry of a failed one.

Who: the bureau (superusers count); anonymous visitors go to the login page; every other
persona gets a 403. The last error shows as class and message; the traceback only to
superusers. A retry is a POST with the CSRF token and goes to the audit trail."""

import uuid

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from audit.models import AuditAction, AuditEntry
from tests import background_tasks
from tests.factories import UserFactory
from tests.i18n_pages import chinese_left, data_strings, english
from tests.institutions_factories import browser, make_world

pytestmark = pytest.mark.django_db
TASKS_URL = "/ops/tasks/"
TRACEBACK = 'Traceback (most recent call last):\n  File "tests/background_tasks.py", line 52\nValueError: 身份证号格式不正确\n'


@pytest.fixture
def world(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return make_world()


def task_row(status: str, **fields) -> DBTaskResult:
    result = background_tasks.always_fails.enqueue("/nonexistent")
    DBTaskResult.objects.filter(pk=result.id).update(status=status, **fields)
    return DBTaskResult.objects.get(pk=result.id)


def failed_row() -> DBTaskResult:
    return task_row(
        TaskResultStatus.FAILED,
        worker_ids=["w1", "w2", "w3"],
        started_at=timezone.now(),
        finished_at=timezone.now(),
        exception_class_path="builtins.ValueError",
        traceback=TRACEBACK,
    )


def retry_url(row: DBTaskResult) -> str:
    return f"/ops/tasks/{row.pk}/retry/"


def test_anonymous_visitors_are_sent_to_the_login_page(world):
    response = Client().get(TASKS_URL)
    assert response.status_code == 302 and response["Location"].startswith(
        "/accounts/login/?next=/ops/tasks/"
    )
    row = failed_row()
    assert Client().post(retry_url(row)).status_code == 302
    assert DBTaskResult.objects.get(pk=row.pk).status == TaskResultStatus.FAILED


@pytest.mark.parametrize("persona", ["learner_a", "staff_a", "hr_a", "official", "editor", "auditor"])
def test_other_roles_are_refused(world, persona):
    row = failed_row()
    client = browser(world, persona)
    response = client.get(TASKS_URL)
    assert response.status_code == 403
    assert "只有市人社局的运维人员可以查看后台任务" in response.content.decode()
    assert client.post(retry_url(row)).status_code == 403
    assert DBTaskResult.objects.get(pk=row.pk).status == TaskResultStatus.FAILED


def test_the_bureau_sees_each_task_with_status_attempts_and_last_error_but_no_traceback(world):
    failed_row()
    task_row(TaskResultStatus.SUCCESSFUL, worker_ids=["w1"])
    response = browser(world, "bureau").get(TASKS_URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "always_fails" in page and "失败" in page and "成功" in page
    assert "ValueError: 身份证号格式不正确" in page
    assert "Traceback" not in page and "background_tasks.py" not in page
    assert page.count('action="/ops/tasks/') == 1  # a retry button for the failed task only
    assert page.count("<style") == page.count('<style nonce="')  # allowed by the CSP (nonce)


def test_a_superuser_also_sees_the_traceback(world):
    failed_row()
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(superuser)
    page = client.get(TASKS_URL).content.decode()
    assert "Traceback (most recent call last)" in page


def test_the_list_filters_by_status_and_refuses_an_unknown_one(world):
    failed_row()
    task_row(TaskResultStatus.SUCCESSFUL, worker_ids=["w1"])
    client = browser(world, "bureau")
    failed_only = client.get(TASKS_URL, {"status": "FAILED"}).content.decode()
    assert "ValueError" in failed_only and 'class="badge SUCCESSFUL">成功</span></td>' not in failed_only

    response = client.get(TASKS_URL, {"status": "LOST"})
    assert response.status_code == 400
    assert "状态只能是：等待执行、执行中、失败、成功，或留空查看全部。" in response.content.decode()


def test_a_retry_queues_the_failed_task_again_and_is_audited(world):
    row = failed_row()
    client = browser(world, "bureau")
    response = client.post(retry_url(row), follow=True)
    assert response.redirect_chain[-1][0] == "/ops/tasks/?status=FAILED"
    assert "已重新排队" in response.content.decode()

    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY and row.worker_ids == [] and row.run_after <= timezone.now()
    entry = AuditEntry.objects.get(subject="ops.task")
    assert entry.action == AuditAction.DECISION and entry.object_id == str(row.pk)
    assert entry.actor == world.bureau and entry.detail["error"] == "ValueError: 身份证号格式不正确"


def test_a_retry_of_a_task_that_has_not_failed_changes_nothing(world):
    row = task_row(TaskResultStatus.SUCCESSFUL, worker_ids=["w1"])
    response = browser(world, "bureau").post(retry_url(row), follow=True)
    assert "不是失败状态" in response.content.decode()
    assert DBTaskResult.objects.get(pk=row.pk).status == TaskResultStatus.SUCCESSFUL
    assert not AuditEntry.objects.filter(subject="ops.task").exists()


def test_a_retry_needs_a_post_with_the_csrf_token_and_a_known_task(world):
    row = failed_row()
    client = browser(world, "bureau")
    assert client.get(retry_url(row)).status_code == 405
    assert client.post(f"/ops/tasks/{uuid.uuid4()}/retry/").status_code == 404

    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(world.bureau)
    assert guarded.post(retry_url(row)).status_code == 403
    assert DBTaskResult.objects.get(pk=row.pk).status == TaskResultStatus.FAILED


def test_the_task_list_speaks_english_only_in_english(world):
    failed_row()
    html = english(world.bureau).get(TASKS_URL).content.decode()
    assert 'lang="en"' in html and "Background tasks" in html and "Retry" in html
    # The task's own error message is data (raised by the task in Chinese), not page text.
    assert not chinese_left(html, data_strings() | {"身份证号格式不正确"})
