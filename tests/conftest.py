import os

import pytest
from django.core.cache import cache, caches
from django.utils import translation
from rest_framework.test import APIClient

from api.tokens import token_issue
from tests.factories import LearnerFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Skip tests that need a real service when it is not configured, saying why."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    on_redis = bool(os.environ.get("REDIS_URL"))
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
            )
        if "redis" in item.keywords and not on_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://... (CI does)"))


@pytest.fixture(autouse=True)
def _default_language():
    """A request activates its language for the thread (LocaleMiddleware) and nothing deactivates
    it: without this, a test that asked for English would leave English to the tests after it."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests hash many passwords; a fast hasher keeps the suite quick (never used outside tests)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _archive_signing_key(settings):
    """Tests run with DEBUG off, where the archive's signing key must be configured (as in
    production): one fixed test key, unless a test sets its own."""
    settings.ARCHIVE_SIGNING_KEYS = "test-key:4JeudBrwsDklzsMR-_O8_u67KuTpnWJZbeTtRXskCms"


@pytest.fixture(autouse=True)
def _backlog_rule(request, settings):
    """Rule 9 (a backlog needs a grant) is on by default, as in production. Most crediting tests
    replay study dated an hour back — a backlog under rule 9 — to test rules 1–8, so they run
    with it off; tests of rule 9, and tests marked ``backlog_rule``, keep the default."""
    if request.node.get_closest_marker("backlog_rule") is None:
        settings.PROGRESS = {**settings.PROGRESS, "BACKLOG_NEEDS_GRANT": False}


@pytest.fixture(autouse=True)
def _clear_cache(settings):
    """Login lockouts and Wagtail's site cache live in the cache: start every test clean. Without
    Redis, the cache shared by processes (the database cache) is an in-memory one in tests: the
    tests that share a credential between threads run inside one test transaction."""
    if not os.environ.get("REDIS_URL"):
        settings.CACHES = {
            **settings.CACHES,
            "shared": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"},
        }
    caches["shared"].clear()
    cache.clear()
    yield
    cache.clear()
    caches["shared"].clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def learner(db):
    return LearnerFactory()


@pytest.fixture
def other_learner(db):
    return LearnerFactory()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user)}")
    return client


@pytest.fixture
def learner_api(learner):
    return client_for(learner.user)


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staffer", is_staff=True)


@pytest.fixture(scope="session")
def s3_endpoint():
    """A local S3 server (moto_server) for this test session; its URL."""
    from tests.s3 import start_s3_server

    server, endpoint = start_s3_server()
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def s3_media(s3_endpoint, settings):
    """Media storage switched to the local S3 server, as AWS_STORAGE_BUCKET_NAME does."""
    from django.core.files.storage import storages

    from tests.s3 import s3_storage_settings

    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_settings(s3_endpoint)}
    storages._storages.clear()
    yield s3_endpoint
    storages._storages.clear()


@pytest.fixture
def browser(monkeypatch, settings, tmp_path):
    """Headless Chromium (tests/e2e.py); the lesson video is stored in a temporary MEDIA_ROOT.
    Call it with a device profile to get a page."""
    import shutil
    import time

    from django.db import connections
    from playwright.sync_api import sync_playwright

    from tests.e2e import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, VIDEO

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MEDIA_ROOT = tmp_path
    settings.PLAYER_HEARTBEAT_SECONDS = 2
    (tmp_path / "lessons").mkdir()
    shutil.copy(VIDEO, tmp_path / "lessons" / "care-1.mp4")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        contexts = []

        def new_page(device: dict):
            context = chromium.new_context(**device)
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(15000)
            return page

        yield new_page
        # Stop the players while the test's data still exists, so that no request arrives later.
        for context in contexts:
            for page in context.pages:
                page.goto("about:blank")
        time.sleep(1)
        chromium.close()
        # The test's own queries ran on connections of their own: close them, or PostgreSQL
        # keeps the test database in use.
        connections.close_all()


@pytest.fixture
def wechat(settings):
    """The WeChat end switched on against a stand-in of WeChat's servers (wechat/standin.py)."""
    from wechat.standin import StandIn

    standin = StandIn().start()
    settings.WECHAT_APP_ID = standin.appid
    settings.WECHAT_APP_SECRET = standin.secret
    settings.WECHAT_TOKEN = "zibo-test-token"  # noqa: S105
    settings.WECHAT_ENCODING_AES_KEY = ""
    settings.WECHAT_API_BASE_URL = standin.base_url
    settings.WECHAT_OPEN_BASE_URL = standin.base_url
    yield standin
    standin.stop()
