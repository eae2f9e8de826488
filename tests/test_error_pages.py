"""Friendly error pages (issue 18): 403 and 404 in the page's language with the header and a way
back to the user's home; 400 and 500 standalone (no database, no context processors); /api/
keeps its JSON errors; an expected 403 is logged as one line, without a traceback.

This module is also the URLconf of the full-stack 500 tests (``urlpatterns`` below)."""

import gettext
import logging
import re
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.test import Client, RequestFactory
from django.urls import include, path
from django.utils import translation

import config.urls
from portal.log_filters import ExpectedPermissionDenied
from tests.factories import LearnerFactory
from tests.institutions_factories import make_world

CHINESE = re.compile(r"[\u4e00-\u9fff]")
CATALOG = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.mo"


def database_down(request):
    raise OperationalError("could not connect to server")


def bad_request(request):
    from django.core.exceptions import SuspiciousOperation

    raise SuspiciousOperation("hostile")


urlpatterns = [
    path("test-database-down/", database_down),
    path("test-bad-request/", bad_request),
    path("", include(config.urls)),
]
handler400 = config.urls.handler400
handler403 = config.urls.handler403
handler404 = config.urls.handler404
handler500 = config.urls.handler500


def english(msgid: str) -> str:
    """The English of a msgid; the test is an expected failure (reported as such) until the
    catalog has it (the lead's ``make messages``; tests/test_i18n.py then checks it is filled)."""
    with open(CATALOG, "rb") as compiled:
        text = gettext.GNUTranslations(compiled).gettext(msgid)
    if text == msgid:
        pytest.xfail(f"the English catalog does not have {msgid!r} yet (make messages)")
    return text


def section(html: str) -> str:
    """The error page's own text (not the header's or the footer's)."""
    found = re.search(r'<section class="error-page.*?</section>', html, re.S)
    assert found, "not the friendly error page"
    return re.sub(r"<[^>]+>", " ", found.group(0))


# --- 404 --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_404_is_friendly_in_chinese_with_the_way_home(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "页面不存在" in section(html)
    assert 'class="site-nav"' in html  # the header, with the user's tools
    assert re.search(r'<a class="weui-btn weui-btn_primary" href="/">', html)


@pytest.mark.django_db
def test_404_sends_a_signed_in_user_back_to_their_home(client):
    client.force_login(LearnerFactory().user)
    html = client.get("/no-such-page/").content.decode()
    assert '<a class="weui-btn weui-btn_primary" href="/me/learning/">' in html


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["accept-language", "cookie"])
def test_404_speaks_english_when_the_page_does(client, how):
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.get("/no-such-page/")
    else:
        response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="en">' in html
    assert english("页面不存在") in section(html)
    assert not CHINESE.search(section(html)), section(html)


# --- 403 --------------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    return make_world()


def test_403_says_why_and_leads_back_to_the_users_home(client, world):
    client.force_login(world.staff_a)
    response = client.get("/me/learning/")  # a learner's page, refused to staff
    assert response.status_code == 403
    html = response.content.decode()
    text = section(html)
    assert "您没有权限打开这个页面" in text
    assert world.staff_a.username in text
    assert '<a class="weui-btn weui-btn_primary" href="/institution/classes/">' in html
    assert 'href="/me/learning/"' not in html  # the header never offers it to staff


def test_403_speaks_english_when_the_page_does(client, world):
    client.force_login(world.learner_a.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/overview/")
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert english("您没有权限打开这个页面") in section(html)
    assert not CHINESE.search(section(html)), section(html)


def test_an_expected_403_is_logged_as_one_line_without_traceback(client, world, caplog):
    client.force_login(world.learner_a.user)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/overview/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in records] == ["Forbidden (Permission denied): /overview/"]
    assert records[0].exc_info is None and records[0].exc_text is None
    assert "Traceback" not in caplog.text


def test_the_filter_keeps_tracebacks_of_real_errors():
    try:
        raise ValueError("boom")
    except ValueError:
        error = logging.LogRecord("django.request", logging.ERROR, "", 0, "Internal", (), sys.exc_info())
    try:
        raise PermissionDenied("no")
    except PermissionDenied:
        refused = logging.LogRecord("django.request", logging.WARNING, "", 0, "Forbidden", (), sys.exc_info())
    assert ExpectedPermissionDenied().filter(error) and error.exc_info is not None
    assert ExpectedPermissionDenied().filter(refused) and refused.exc_info is None


# --- /api/ keeps JSON -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_errors_stay_json(client, world):
    missing = client.get("/api/v1/no-such-endpoint/")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/json")
    client.force_login(world.learner_a.user)
    refused = client.get("/api/v1/audit/reveals/")
    assert refused.status_code == 403 and refused["Content-Type"].startswith("application/json")


# --- 500 and 400: standalone -------------------------------------------------------------------------


def test_500_renders_without_the_database():
    """No ``django_db`` mark: any query here fails the test (pytest-django blocks the database)."""
    request = RequestFactory().get("/me/learning/")
    with translation.override("zh-hans"):
        response = config.urls.handler500(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="zh-hans">' in html and "服务器出错了" in html
    assert '<a class="button" href="/">' in html
    assert "<link" not in html  # its style is inline: not even the static files are needed


def test_500_from_a_failed_database_through_the_whole_stack(settings):
    settings.ROOT_URLCONF = "tests.test_error_pages"
    response = Client(raise_request_exception=False).get("/test-database-down/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html and "服务器出错了" in html


def test_500_speaks_english_when_the_request_does(settings):
    settings.ROOT_URLCONF = "tests.test_error_pages"
    response = Client(raise_request_exception=False).get("/test-database-down/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="en">' in html
    assert english("服务器出错了") in html
    assert not CHINESE.search(re.sub(r"<[^>]+>", " ", html.split("<body>")[1])), html


def test_api_500_stays_json():
    request = RequestFactory().get("/api/v1/me/")
    response = config.urls.handler500(request)
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")


def test_400_is_standalone_too(settings):
    settings.ROOT_URLCONF = "tests.test_error_pages"
    response = Client().get("/test-bad-request/")
    assert response.status_code == 400
    assert "请求有误" in response.content.decode()
