"""``/metrics`` (config/metrics.py): who may read it, and that what an operator watches moves —
requests, progress events, the task queue — with label values that hold no path or person."""

import pytest
from django_tasks import task
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import enroll, make_course
from tests.institutions_factories import api_for, browser, make_world
from tests.progress_helpers import Player, send

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-0123456789"


@task()
def pending_work() -> None:
    """Only ever queued here (the database backend), never run."""


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- who may read it --------------------------------------------------------------------------


def test_without_a_configured_token_the_endpoint_is_off(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Token {TOKEN}", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"],
)
def test_a_wrong_or_missing_token_is_refused(client, metrics_on, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"zbjn_" not in response.content


@pytest.mark.parametrize("persona", ["anonymous", "learner_a", "staff_a", "official", "bureau", "auditor"])
def test_no_signed_in_persona_reads_metrics_without_the_token(metrics_on, persona):
    world = make_world()
    assert browser(world, persona).get("/metrics").status_code == 401
    assert api_for(world, persona).get("/metrics").status_code == 401


def test_a_superuser_session_is_not_enough(client, metrics_on, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    assert client.get("/metrics").status_code == 401


def test_the_right_token_reads_the_metrics(client, metrics_on):
    samples = scrape(client)
    assert value(samples, "zbjn_ready", check="database") == 1.0


def test_only_get_is_answered(client, metrics_on):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


# --- what moves --------------------------------------------------------------------------------


def test_a_page_request_is_counted_by_route_name_and_timed(client, metrics_on):
    before = scrape(client)
    assert client.get("/healthz").status_code == 200
    client.get("/no-such-page-for-metrics/")
    after = scrape(client)
    labels = {"method": "GET", "route": "healthz", "status": "2xx"}
    assert (
        value(after, "zbjn_http_requests_total", **labels)
        == value(before, "zbjn_http_requests_total", **labels) + 1
    )
    assert (
        value(after, "zbjn_http_request_duration_seconds_count", route="healthz")
        == value(before, "zbjn_http_request_duration_seconds_count", route="healthz") + 1
    )


def test_a_heartbeat_batch_counts_its_events_by_outcome_and_channel(client, metrics_on, learner, learner_api):
    course = make_course(lessons=1, duration=600)
    enroll(learner, course)
    lesson = course.lessons.get()
    player = Player(lesson.pk, channel="app")
    first = [player.play(0, 0), player.beat(20, 20), player.beat(40, 40)]
    malformed = {"id": "not-a-uuid", "channel": "telegram", "type": "heartbeat"}
    before = scrape(client)

    assert send(learner_api, [*first, malformed]).status_code == 200
    assert send(learner_api, first[:1]).status_code == 200  # the client's retry: a duplicate

    after = scrape(client)

    def moved(**labels):
        return value(after, "zbjn_progress_events_total", **labels) - value(
            before, "zbjn_progress_events_total", **labels
        )

    assert moved(status="accepted", channel="app") == 3
    assert moved(status="duplicate", channel="app") == 1
    assert moved(status="rejected", channel="other") == 1  # an unknown channel is not a label


def test_the_queue_depth_counts_waiting_tasks(client, metrics_on, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    before = value(scrape(client), "zbjn_task_queue_depth", status="READY")
    for _ in range(3):
        pending_work.enqueue()
    samples = scrape(client)
    assert value(samples, "zbjn_task_queue_depth", status="READY") == before + 3
    assert ("zbjn_task_queue_depth", (("status", "FAILED"),)) in samples  # shown even at 0


def test_label_values_hold_no_raw_path_query_or_person(client, metrics_on, learner, learner_api):
    """A route is named, never given by its path (which holds ids and, in a query, tokens);
    nothing of the learner appears."""
    course = make_course(lessons=1, duration=600)
    enroll(learner, course)
    lesson = course.lessons.get()
    learner_api.get(f"/api/v1/progress/lessons/{lesson.pk}/?token=secret-query-token")
    client.get("/certificates/ZB-NOCERT-QQXJ/")
    client.get("/an/unknown/pathpart-qqxj/?code=secret-code")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    routes = {
        sample.labels["route"]
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
        if "route" in sample.labels
    }
    assert "unmatched" in routes or "wagtail_serve" in routes
    assert all("/" not in route for route in routes), routes
    text = response.content.decode()
    for secret in ("secret-query-token", "secret-code", "QQXJ", "qqxj", learner.user.username):
        assert secret not in text
