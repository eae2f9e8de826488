"""The platform's work moved off the request through common.background: certificate PDFs
rendered ahead by the worker, fraud scans and archive heads queued by their scheduled commands
(docs/operations.md, "Background work")."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from archive import certificate_pdf, chain
from archive.certificates import certificate_revoke
from archive.models import ArchiveHead, Certificate
from archive.tasks import certificate_pdf_prepare
from learners.models import Learner
from tests.conftest import client_for
from tests.factories import LearnerFactory, UserFactory
from tests.subsidies_factories import completed_entry, subsidised_course

pytestmark = pytest.mark.django_db
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def verified():
    learner = LearnerFactory()
    Learner.objects.filter(pk=learner.pk).update(verified=True)
    learner.refresh_from_db()
    return learner


def queued(task_path: str) -> list[list]:
    return [row.args_kwargs["args"] for row in DBTaskResult.objects.filter(task_path=task_path)]


@pytest.fixture
def renders(monkeypatch):
    """Counts the PDFs rendered (the work the download no longer does)."""
    calls = []
    real = certificate_pdf.render

    def counted(*args, **kwargs):
        calls.append(args[0].number)
        return real(*args, **kwargs)

    monkeypatch.setattr(certificate_pdf, "render", counted)
    return calls


def test_an_issued_certificate_has_its_pdf_rendered_by_the_worker_not_the_download(
    settings, django_capture_on_commit_callbacks, renders
):
    settings.TASKS = DATABASE_BACKEND
    settings.SITE_URL = "http://testserver"
    learner = verified()
    with django_capture_on_commit_callbacks(execute=True):
        entry = completed_entry(learner, subsidised_course())
    certificate = Certificate.objects.get(entry=entry)
    assert queued("archive.tasks.certificate_pdf_prepare") == [[certificate.number]]

    assert certificate_pdf_prepare.call(certificate.number) == "ready"  # what the worker runs
    assert renders == [certificate.number]
    response = client_for(learner.user).get(f"/api/v1/certificates/{certificate.number}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert renders == [certificate.number]  # served as rendered ahead

    certificate_revoke(certificate=certificate, reason="证书信息有误", by=UserFactory())
    revoked = client_for(learner.user).get(f"/api/v1/certificates/{certificate.number}/pdf/")
    assert revoked.status_code == 200 and revoked.content != response.content
    assert renders == [certificate.number] * 2  # what the PDF shows changed: rendered afresh


def test_with_the_immediate_backend_the_download_renders_as_before(
    django_capture_on_commit_callbacks, renders
):
    learner = verified()
    with django_capture_on_commit_callbacks(execute=True):
        entry = completed_entry(learner, subsidised_course())
    certificate = Certificate.objects.get(entry=entry)
    assert renders == []  # nothing rendered during the completion
    for _download in range(2):
        response = client_for(learner.user).get(f"/api/v1/certificates/{certificate.number}/pdf/")
        assert response.status_code == 200
    assert renders == [certificate.number]  # once, then from the cache


def test_the_scheduled_fraud_scan_can_hand_its_days_to_the_worker(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_BACKEND
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("fraud_scan", "--day", "2026-11-30", "--days", "2", "--enqueue", stdout=out)
    assert out.getvalue().split() == ["2026-11-29:", "queued", "2026-11-30:", "queued"]
    assert sorted(queued("integrity.tasks.fraud_scan")) == [["2026-11-29"], ["2026-11-30"]]


def test_a_queued_archive_head_is_recorded_once_per_state_of_the_log(django_capture_on_commit_callbacks):
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("archive_record_head", "--enqueue", stdout=StringIO())
    assert ArchiveHead.objects.count() == 1  # the second run found the log unchanged

    chain.chain_append("note", {"text": "新记录"})
    with django_capture_on_commit_callbacks(execute=True):
        call_command("archive_record_head", "--enqueue", stdout=StringIO())
    head = ArchiveHead.objects.order_by("-size").first()
    assert ArchiveHead.objects.count() == 2 and head.size == 1
