"""Request ids and the logs (config/observability.py, LOGGING in config/settings.py): every line
of a request carries its id, the id comes back in ``X-Request-ID``, one access line per request
without its query string, JSON or text as LOG_FORMAT says; the same under ASGI and WebSockets."""

import io
import json
import logging
import logging.config
import re

import pytest
from django.conf import settings as django_settings
from django.test import AsyncClient

from common import request_id
from common.request_id import RequestIdFilter
from config.observability import RequestIdWebsocketMiddleware

pytestmark = pytest.mark.django_db

NEW_ID = re.compile(r"^[0-9a-f]{32}$")
# Where the configured handler writes in these tests (logging's "ext://" reads it from here).
STREAM = io.StringIO()


@pytest.fixture
def access_log(caplog):
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="access"):
        yield lambda: [record for record in caplog.records if record.name == "access"]


@pytest.fixture
def configured_log():
    """The project's LOGGING with its console handler writing to STREAM in the given format."""

    def configure(log_format: str):
        config = json.loads(json.dumps(django_settings.LOGGING))
        config["handlers"]["console"].update(
            formatter=log_format, stream="ext://tests.test_observability.STREAM"
        )
        STREAM.seek(0)
        STREAM.truncate()
        logging.config.dictConfig(config)
        return STREAM

    yield configure
    logging.config.dictConfig(django_settings.LOGGING)


def test_a_request_gets_a_new_id_and_answers_it(client):
    response = client.get("/healthz")
    assert NEW_ID.match(response["X-Request-ID"])
    assert client.get("/healthz")["X-Request-ID"] != response["X-Request-ID"]


def test_the_id_nginx_gave_is_kept(client):
    assert (
        client.get("/healthz", HTTP_X_REQUEST_ID="7f3c9a2b-nginx-0042")["X-Request-ID"]
        == "7f3c9a2b-nginx-0042"
    )


@pytest.mark.parametrize(
    "sent", ["short", "has spaces in it", "x" * 65, "line\nbreak-123456", "<script>1234"]
)
def test_an_id_that_does_not_look_like_one_is_replaced(client, sent):
    assert NEW_ID.match(client.get("/healthz", HTTP_X_REQUEST_ID=sent)["X-Request-ID"])


def test_every_line_logged_while_serving_carries_the_id_and_none_after(client, access_log, caplog):
    response = client.get("/no-such-page-for-logs/", HTTP_X_REQUEST_ID="trace-0001-abcdef")
    assert response.status_code == 404
    during = [record for record in caplog.records if record.name in ("django.request", "access")]
    assert {record.name for record in during} == {"django.request", "access"}
    assert {record.request_id for record in during} == {"trace-0001-abcdef"}
    assert request_id.current() == "-"


def test_one_access_line_per_request_without_the_query_string(access_log, learner, learner_api):
    response = learner_api.get("/api/v1/me/?token=very-secret-token&code=123456")
    [line] = access_log()
    assert line.method == "GET"
    assert line.path == "/api/v1/me/"
    assert line.status == response.status_code
    assert line.user_id == learner.user.pk  # the token's user, set by DRF
    assert line.duration_ms >= 0
    assert line.request_id == response["X-Request-ID"]
    assert "very-secret-token" not in line.getMessage() and "123456" not in line.getMessage()


def test_an_anonymous_request_logs_no_user(client, access_log):
    client.get("/healthz")
    [line] = access_log()
    assert line.user_id is None
    assert line.route == "healthz"


def test_json_lines_carry_the_request_id_and_the_access_fields(client, configured_log):
    stream = configured_log("json")
    client.get("/healthz?next=/secret-next/", HTTP_X_REQUEST_ID="json-trace-0001")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [access] = [line for line in lines if line["logger"] == "access"]
    assert access["request_id"] == "json-trace-0001"
    assert access["level"] == "INFO"
    assert (access["method"], access["path"], access["status"], access["route"]) == (
        "GET",
        "/healthz",
        200,
        "healthz",
    )
    assert isinstance(access["duration_ms"], float)
    assert access["time"]
    assert "secret-next" not in stream.getvalue()


def test_an_error_line_in_json_keeps_the_query_string_out(client, configured_log):
    """Django puts the request on its 4xx/5xx records; its text would show the query string."""
    stream = configured_log("json")
    client.get("/metrics?token=very-secret-query-token")  # 404: metrics are off here
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {line["logger"] for line in lines} >= {"django.request", "access"}
    assert "very-secret-query-token" not in stream.getvalue()
    assert "T" in lines[0]["time"] and lines[0]["time"].endswith("+00:00")  # ISO 8601, UTC


def test_text_lines_show_the_request_id(client, configured_log):
    stream = configured_log("text")
    client.get("/healthz", HTTP_X_REQUEST_ID="text-trace-0001")
    assert re.search(r"INFO access \[text-trace-0001\] GET /healthz 200 [\d.]+ms", stream.getvalue())


def test_outside_a_request_lines_say_so(configured_log):
    stream = configured_log("json")
    logging.getLogger("zbjn.test").warning("from a command")
    assert json.loads(stream.getvalue().splitlines()[-1])["request_id"] == "-"


async def test_under_asgi_the_id_is_bound_and_answered():
    response = await AsyncClient().get("/healthz", headers={"X-Request-ID": "asgi-trace-0001"})
    assert response.status_code == 200
    assert response["X-Request-ID"] == "asgi-trace-0001"
    assert request_id.current() == "-"


async def test_a_websocket_connection_runs_under_one_id():
    seen = []

    async def consumer(scope, receive, send):
        seen.append((request_id.current(), scope["request_id"]))

    app = RequestIdWebsocketMiddleware(consumer)
    await app({"type": "websocket", "headers": [(b"x-request-id", b"ws-trace-0001")]}, None, None)
    await app({"type": "websocket", "headers": []}, None, None)
    assert seen[0] == ("ws-trace-0001", "ws-trace-0001")
    assert NEW_ID.match(seen[1][0]) and seen[1][0] == seen[1][1]
    assert request_id.current() == "-"
