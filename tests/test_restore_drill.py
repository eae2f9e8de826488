"""deploy/restore_drill.sh against the test database: it dumps, restores into a scratch database,
checks the copy (Django's checks, migrations, row counts, the archive's chain) and drops it."""

import os
import subprocess
from pathlib import Path

import pytest
from django.db import connection, transaction

from archive.models import ArchiveEntry
from learners.models import Learner
from progress.completion import course_completion_record
from tests.factories import LearnerFactory, enroll, make_course

SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "restore_drill.sh"
TEST_KEY = "test-key:4JeudBrwsDklzsMR-_O8_u67KuTpnWJZbeTtRXskCms"  # tests/conftest.py's


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def drill(**env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": database_url(), "ARCHIVE_SIGNING_KEYS": TEST_KEY, **env}
    environment.pop("DATABASE_REPLICA_URL", None)
    return subprocess.run(["bash", str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=600)


def scratch_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_drill_restores_a_working_copy_and_drops_it():
    for _ in range(2):
        learner = LearnerFactory()
        course = make_course(lessons=1, duration=60)
        enroll(learner, course)
        with transaction.atomic():
            course_completion_record(
                learner=Learner.objects.get(pk=learner.pk),
                course_id=course.pk,
                completed_at="2026-03-01T09:30:00+08:00",
            )
    assert ArchiveEntry.objects.count() == 2

    result = drill()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "check      ok" in result.stdout
    assert "migrations all applied" in result.stdout
    assert "equal" in result.stdout and "MISMATCH" not in result.stdout
    assert "restore drill: OK" in result.stdout
    assert not scratch_exists(f"{connection.settings_dict['NAME']}_restore_drill")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_table_that_does_not_restore_fails_the_drill():
    result = drill(RESTORE_DRILL_TABLES="auth_user no_such_table")
    assert result.returncode != 0
    assert "no_such_table" in result.stderr
    assert not scratch_exists(f"{connection.settings_dict['NAME']}_restore_drill")


def test_a_database_url_that_is_not_postgresql_is_refused_with_a_reason():
    environment = {**os.environ, "DATABASE_URL": "sqlite:///tmp/x.sqlite3"}
    result = subprocess.run(
        ["bash", str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "must be a postgres:// URL" in result.stderr
