"""Contract rule 9: a backlog needs a grant. An event that reaches the server more than the live
window (10 min) after its ``at`` belongs to a backlog; a backlog segment is credited only when its
first event names a grant for that lesson, issued to the learner before the segment started and
not expired then. Otherwise the events are accepted, move the position, and credit nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from progress.models import LessonProgress, ProgressEvent, StudyGrant
from progress.services import grant_issue
from tests.conftest import client_for
from tests.factories import LearnerFactory, UserFactory, enroll, make_course
from tests.progress_helpers import Player, send

pytestmark = [pytest.mark.django_db, pytest.mark.backlog_rule]

GRANTS = "/api/v1/progress/grants/"


@pytest.fixture
def course(learner):
    course = make_course(lessons=2, duration=600)
    enroll(learner, course)
    return course


@pytest.fixture
def lesson(course):
    return course.lessons.order_by("sort_order").first()


def progress_of(learner, lesson) -> LessonProgress | None:
    return LessonProgress.objects.filter(learner=learner, lesson=lesson).first()


def three_days_back() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=3)


def test_a_backdated_backlog_without_a_grant_credits_nothing_but_moves_the_position(
    learner, learner_api, lesson
):
    """The cheapest cheat: a whole lesson 'watched' three days ago, sent in one request."""
    response = send(learner_api, Player(lesson.pk, "app", base=three_days_back()).watch(0, 600, at=0))
    assert {r["status"] for r in response.json()["results"]} == {"accepted"}
    progress = progress_of(learner, lesson)
    assert progress.credited_seconds == 0
    assert progress.completed_at is None
    assert progress.position == 600  # the events still count for where to resume
    segments = set(ProgressEvent.objects.exclude(segment="").values_list("segment", flat=True))
    assert segments == {"ungranted"}


def test_a_grant_issued_after_the_backlog_does_not_cover_it(learner, learner_api, lesson):
    base = three_days_back()
    grant = grant_issue(learner=learner, lesson=lesson)  # issued now: after the backlog's time
    player = Player(lesson.pk, "app", base=base)
    send(learner_api, [{**event, "grant": grant.token} for event in player.watch(0, 300, at=0)])
    assert progress_of(learner, lesson).credited_seconds == 0


def test_time_studied_after_a_grant_and_sent_as_a_backlog_is_credited(learner, learner_api, lesson):
    base = three_days_back()
    grant = grant_issue(learner=learner, lesson=lesson, now=base - dt.timedelta(minutes=1))
    player = Player(lesson.pk, "app", base=base)
    events = [{**event, "grant": grant.token} for event in player.watch(0, 300, at=0)]
    send(learner_api, events)
    assert progress_of(learner, lesson).credited_seconds == 300
    assert ProgressEvent.objects.get(event_id=events[0]["id"]).grant == grant.token  # evidence


def test_a_grant_only_covers_its_own_learner_lesson_and_lifetime(learner, learner_api, course):
    first, second = course.lessons.order_by("sort_order")
    base = three_days_back()
    before = base - dt.timedelta(minutes=1)
    other_lesson = grant_issue(learner=learner, lesson=second, now=before)
    someone_else = LearnerFactory()
    enroll(someone_else, course)
    other_learner = grant_issue(learner=someone_else, lesson=first, now=before)
    expired = grant_issue(learner=learner, lesson=first, now=before)
    StudyGrant.objects.filter(pk=expired.pk).update(expires_at=base - dt.timedelta(seconds=1))
    for offset, grant in enumerate([other_lesson, other_learner, expired, "no-such-grant"]):
        token = getattr(grant, "token", grant)
        player = Player(first.pk, "app", base=base + dt.timedelta(minutes=15 * offset))
        send(learner_api, [{**event, "grant": token} for event in player.watch(0, 100, at=0)])
    assert progress_of(learner, first).credited_seconds == 0


def test_live_events_need_no_grant(learner, learner_api, lesson):
    """Events sent as they happen (within the live window) are credited without a grant."""
    player = Player(lesson.pk, base=timezone.now() - dt.timedelta(seconds=100))
    send(learner_api, player.watch(0, 90, at=0))
    assert progress_of(learner, lesson).credited_seconds == 90


def test_a_segment_is_judged_by_its_first_event(learner, learner_api, lesson):
    """A live play followed by heartbeats that arrive late: the segments that start at late
    events are a backlog; only the one that starts at the live event is credited."""
    base = timezone.now() - dt.timedelta(minutes=11)
    player = Player(lesson.pk, base=base)
    send(learner_api, [player.play(0, at=0)])  # sent 11 minutes late: a backlog event
    progress = progress_of(learner, lesson)
    assert progress.credited_seconds == 0
    # The next heartbeats arrive on time (segments starting within the live window).
    late_start = timezone.now() - dt.timedelta(seconds=60)
    live = Player(lesson.pk, base=late_start)
    live.session = player.session
    send(learner_api, [live.beat(20, at=0), live.beat(40, at=20), live.pause(60, at=40)])
    progress.refresh_from_db()
    # 0→20 starts at the late play: a gap anyway (11 minutes of wall clock); 20→40 and 40→60
    # start at live events: credited.
    assert progress.credited_seconds == 40


def test_the_switch_turns_the_rule_off(learner, learner_api, lesson, settings):
    settings.PROGRESS = {**settings.PROGRESS, "BACKLOG_NEEDS_GRANT": False}
    send(learner_api, Player(lesson.pk, "app", base=three_days_back()).watch(0, 300, at=0))
    assert progress_of(learner, lesson).credited_seconds == 300


def test_the_live_window_is_a_setting(learner, learner_api, lesson, settings):
    settings.PROGRESS = {**settings.PROGRESS, "LIVE_WINDOW_SECONDS": 4 * 24 * 3600}
    send(learner_api, Player(lesson.pk, "app", base=three_days_back()).watch(0, 300, at=0))
    assert progress_of(learner, lesson).credited_seconds == 300


def test_the_lesson_page_client_flow_keeps_its_offline_credit(learner, learner_api, lesson):
    """What the player does: ask for a grant when the lesson opens, study offline, send later."""
    response = learner_api.post(GRANTS, {"lesson": lesson.pk}, format="json")
    assert response.status_code == 201
    token = response.json()["grant"]
    # Pretend the grant was handed out two hours ago, when the learner opened the lesson.
    issued = timezone.now() - dt.timedelta(hours=2)
    StudyGrant.objects.filter(token=token).update(issued_at=issued)
    player = Player(lesson.pk, "app", base=issued + dt.timedelta(minutes=5))
    send(learner_api, [{**event, "grant": token} for event in player.watch(0, 200, at=0)])
    assert progress_of(learner, lesson).credited_seconds == 200


# --- the grants endpoint ------------------------------------------------------------------------


def test_a_grant_is_issued_to_an_enrolled_learner(learner, learner_api, lesson):
    before = timezone.now()
    response = learner_api.post(GRANTS, {"lesson": lesson.pk}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"grant", "lesson", "issued_at", "expires_at"}
    assert body["lesson"] == lesson.pk and len(body["grant"]) >= 20
    issued = dt.datetime.fromisoformat(body["issued_at"])
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert issued >= before
    assert expires - issued == dt.timedelta(days=7)  # by default the offline window
    other = learner_api.post(GRANTS, {"lesson": lesson.pk}, format="json").json()["grant"]
    assert other != body["grant"]  # opaque and unguessable: each one is new


def test_grants_are_refused_to_whoever_may_not_study_the_lesson(api, lesson):
    assert api.post(GRANTS, {"lesson": lesson.pk}, format="json").status_code == 401
    staff = client_for(UserFactory(is_staff=True))
    response = staff.post(GRANTS, {"lesson": lesson.pk}, format="json")
    assert response.status_code == 403 and response.json()["detail"]
    stranger = client_for(LearnerFactory().user)
    response = stranger.post(GRANTS, {"lesson": lesson.pk}, format="json")
    assert response.status_code == 403 and response.json()["detail"] == "未报名此课程。"
    assert not StudyGrant.objects.exists()


@pytest.mark.parametrize("body", [{}, {"lesson": "one"}, {"lesson": None}, {"lesson": 0}, {"lesson": 2**70}])
def test_a_bad_grant_request_is_a_400_naming_the_field(learner_api, body):
    response = learner_api.post(GRANTS, body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("lesson")


def test_an_unknown_lesson_is_a_404(learner_api):
    response = learner_api.post(GRANTS, {"lesson": 987654}, format="json")
    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.parametrize("grant", [12, ["x"], "x" * 65])
def test_a_grant_of_the_wrong_type_makes_the_event_invalid(learner_api, lesson, grant):
    player = Player(lesson.pk, base=timezone.now() - dt.timedelta(seconds=30))
    response = send(learner_api, [player.play(0, at=0, grant=grant)])
    assert response.json()["results"][0] == {
        "id": response.json()["results"][0]["id"],
        "status": "rejected",
        "reason": "invalid event",
    }
