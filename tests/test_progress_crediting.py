"""The contract's crediting rules, one small scenario each (api-v1.md, "How study time is credited")."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from progress.models import LessonProgress, ProgressEvent
from tests.factories import enroll, make_course
from tests.progress_helpers import Player, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(learner):
    course = make_course(lessons=2, duration=600)
    enroll(learner, course)
    return course


@pytest.fixture
def lesson(course):
    return course.lessons.order_by("sort_order").first()


def credited(learner, lesson) -> float:
    progress = LessonProgress.objects.filter(learner=learner, lesson=lesson).first()
    return round(progress.credited_seconds, 3) if progress else 0.0


def statuses(response) -> list[str]:
    return [r["status"] if r["status"] != "rejected" else r["reason"] for r in response.json()["results"]]


def test_normal_playback_credits_the_time_watched(learner, learner_api, lesson):
    response = send(learner_api, Player(lesson.pk).watch(0, 70, at=0))
    assert response.status_code == 200
    assert set(statuses(response)) == {"accepted"}
    assert credited(learner, lesson) == 70
    progress = response.json()["progress"][0]
    assert progress["lesson"] == lesson.pk
    assert progress["credited_seconds"] == 70
    assert progress["position"] == 70
    assert progress["duration"] == 600
    assert progress["last_channel"] == "pc"


def test_dragging_the_slider_ahead_credits_nothing_for_the_part_jumped_over(learner, learner_api, lesson):
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.seek(10, 300, 10), p.beat(330, 40), p.pause(340, 50)])
    assert credited(learner, lesson) == 10 + 30 + 10


def test_a_heartbeat_that_moved_faster_than_real_time_is_a_skip(learner, learner_api, lesson):
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.beat(200, 30)])  # 200 s of media in 30 s
    assert credited(learner, lesson) == 0


def test_the_rate_limit_allows_ten_percent_but_not_double_speed(learner, learner_api, lesson):
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.beat(32, 30, rate=1.1)])  # within 1.0 × 30 s + 10 %
    assert credited(learner, lesson) == 32
    q = Player(lesson.pk)
    send(
        learner_api, [q.play(100, 100), q.beat(160, 130, rate=2.0)]
    )  # 2× speed: the rate field does not raise it
    assert credited(learner, lesson) == 32


def test_replaying_a_part_credits_it_once(learner, learner_api, lesson):
    p = Player(lesson.pk)
    send(learner_api, p.watch(0, 60, at=0))
    q = Player(lesson.pk)
    send(learner_api, q.watch(0, 60, at=100))
    assert credited(learner, lesson) == 60


def test_overlapping_watches_credit_their_union(learner, learner_api, lesson):
    send(learner_api, Player(lesson.pk).watch(0, 60, at=0))
    send(learner_api, Player(lesson.pk).watch(40, 100, at=100))
    assert credited(learner, lesson) == 100


def test_a_silence_longer_than_the_gap_limit_is_not_credited(learner, learner_api, lesson):
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.beat(150, 150)])  # 150 s of silence: > 120 s
    assert credited(learner, lesson) == 0
    send(learner_api, [p.beat(170, 170)])  # reporting again: the next segment counts
    assert credited(learner, lesson) == 20


def test_credit_never_exceeds_the_duration(learner, learner_api, course):
    short = course.lessons.order_by("sort_order").last()
    short.duration = 50
    short.save()
    p = Player(short.pk)
    send(learner_api, [p.play(0, 0), p.beat(30, 30), p.ended(51.5, 51.5)])
    assert credited(learner, short) == 50


def test_a_play_on_another_device_supersedes_the_first(learner, learner_api, lesson):
    pc = Player(lesson.pk, "pc")
    app = Player(lesson.pk, "app", base=pc.base)
    send(learner_api, [pc.play(0, 0), pc.beat(30, 30)])
    send(learner_api, [app.play(30, 40)])
    late = send(learner_api, [pc.beat(60, 60), pc.beat(80, 80)])
    assert statuses(late) == ["superseded", "superseded"]
    assert credited(learner, lesson) == 30  # only the pc's first 30 s; the app has not played yet
    more = send(learner_api, [app.beat(60, 70)])
    assert statuses(more) == ["accepted"]
    assert credited(learner, lesson) == 60


def test_a_paused_session_is_not_superseded(learner, learner_api, lesson):
    pc = Player(lesson.pk, "pc")
    app = Player(lesson.pk, "app", base=pc.base)
    send(learner_api, [pc.play(0, 0), pc.pause(20, 20)])
    send(learner_api, [app.play(20, 40)])
    assert statuses(send(learner_api, [pc.play(20, 300)])) == ["accepted"]


def test_an_offline_backlog_out_of_order_counts_as_if_in_order(learner, learner_api, lesson):
    events = Player(lesson.pk, "app").watch(0, 200, at=0, step=20)
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    response = send(learner_api, shuffled)
    assert set(statuses(response)) == {"accepted"}
    assert [r["id"] for r in response.json()["results"]] == [
        e["id"] for e in shuffled
    ]  # answered in order sent
    assert credited(learner, lesson) == 200


def test_an_offline_backlog_overlapping_online_study_is_not_credited_twice(learner, learner_api, course):
    first, second = course.lessons.order_by("sort_order")
    online = Player(first.pk, "pc")
    send(learner_api, online.watch(0, 100, at=0))  # online from 0 s to 100 s of wall-clock
    offline = Player(second.pk, "app", base=online.base)
    send(learner_api, offline.watch(0, 100, at=50))  # offline from 50 s to 150 s, sent later
    assert credited(learner, first) == 100
    assert credited(learner, second) == 40  # only 110 s–150 s: the first segment 50–70 and the rest overlap


def test_the_same_event_sent_on_two_channels_is_applied_once(learner, learner_api, lesson):
    from tests.conftest import client_for

    p = Player(lesson.pk, "app")
    events = p.watch(0, 60, at=0)
    first = send(learner_api, events)
    again = send(client_for(learner.user), events)  # the backlog resent (by the app, or via the pc)
    assert set(statuses(first)) == {"accepted"}
    assert set(statuses(again)) == {"duplicate"}
    assert credited(learner, lesson) == 60
    assert ProgressEvent.objects.filter(status="accepted").count() == len(events)


def test_a_duplicate_within_one_batch_is_applied_once(learner, learner_api, lesson):
    p = Player(lesson.pk)
    play, beat = p.play(0, 0), p.beat(20, 20)
    assert statuses(send(learner_api, [play, beat, beat])) == ["accepted", "accepted", "duplicate"]
    assert credited(learner, lesson) == 20


def test_resume_position_is_the_latest_event_by_time_whatever_channel_sent_it(learner, learner_api, lesson):
    app = Player(lesson.pk, "app")
    pc = Player(lesson.pk, "pc", base=app.base)
    send(learner_api, [app.play(0, 0), app.pause(50, 100)])
    send(learner_api, [pc.play(70, 60), pc.pause(75, 65)])  # arrives later but happened earlier
    body = learner_api.get(f"/api/v1/progress/lessons/{lesson.pk}/").json()
    assert body["position"] == 50
    assert body["last_channel"] == "app"


def test_events_from_the_future_are_rejected_as_clock_ahead(learner_api, lesson):
    now = timezone.now()
    p = Player(lesson.pk, base=now)
    response = send(learner_api, [p.play(0, 6 * 60), p.play(0, 4 * 60)])
    assert statuses(response) == ["clock ahead", "accepted"]


def test_events_older_than_the_offline_window_are_rejected_as_too_old(learner_api, lesson):
    p = Player(lesson.pk, base=timezone.now() - dt.timedelta(days=8))
    q = Player(lesson.pk, base=timezone.now() - dt.timedelta(days=6))
    assert statuses(send(learner_api, [p.play(0, 0), q.play(0, 0)])) == ["too old", "accepted"]


def test_positions_outside_the_media_are_rejected(learner_api, lesson):
    p = Player(lesson.pk)
    response = send(learner_api, [p.play(-1, 0), p.play(603, 1), p.play(601.5, 2), p.seek(-5, 10, 3)])
    assert statuses(response) == ["invalid position", "invalid position", "accepted", "invalid position"]


def test_the_daily_cap_stops_new_credit_but_accepts_the_events(learner, learner_api, lesson, settings):
    settings.PROGRESS = {**settings.PROGRESS, "DAILY_CAP_SECONDS": 100}
    base = timezone.localtime(timezone.now() - dt.timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    p = Player(lesson.pk, base=base)
    response = send(learner_api, p.watch(0, 160, at=0))
    assert set(statuses(response)) == {"accepted"}
    assert credited(learner, lesson) == 100
    later = send(learner_api, [p.play(160, 3600), p.beat(180, 3620)])  # the same day: nothing more
    assert set(statuses(later)) == {"accepted"}
    assert credited(learner, lesson) == 100
    next_day = Player(lesson.pk, base=base + dt.timedelta(days=1))
    send(learner_api, next_day.watch(160, 200, at=0))  # a new calendar day (Asia/Shanghai)
    assert credited(learner, lesson) == 140


def test_a_lesson_completes_at_ninety_percent(learner, learner_api, lesson):
    p = Player(lesson.pk)
    send(learner_api, p.watch(0, 539, at=0))
    assert learner_api.get(f"/api/v1/progress/lessons/{lesson.pk}/").json()["completed"] is False
    send(learner_api, [p.play(539, 600), p.beat(540, 601)])
    body = learner_api.get(f"/api/v1/progress/lessons/{lesson.pk}/").json()
    assert body["completed"] is True
    assert body["completed_at"]


def test_the_course_may_set_another_completion_share(learner, learner_api):
    course = make_course(lessons=1, duration=100, completion_share=0.5)
    enroll(learner, course)
    lesson = course.lessons.get()
    send(learner_api, Player(lesson.pk).watch(0, 50, at=0))
    assert learner_api.get(f"/api/v1/progress/lessons/{lesson.pk}/").json()["completed"] is True


def test_course_completion_reaches_the_record_exactly_once(learner, learner_api, course):
    from learners.models import Enrollment
    from progress.signals import course_completed

    received = []

    def listener(**kwargs):
        received.append(kwargs["course_id"])

    course_completed.connect(listener)
    try:
        first, second = course.lessons.order_by("sort_order")
        send(learner_api, Player(first.pk).watch(0, 600, at=0))
        assert Enrollment.objects.get(learner=learner, course=course).completed_at is None
        send(learner_api, Player(second.pk).watch(0, 600, at=700))
        send(learner_api, Player(second.pk).watch(0, 600, at=1400))  # watching again changes nothing
    finally:
        course_completed.disconnect(listener)
    assert received == [course.pk]
    body = learner_api.get(f"/api/v1/progress/courses/{course.pk}/").json()
    assert body["completed"] is True
    assert body["completed_lessons"] == body["total_lessons"] == 2
    assert body["credited_seconds"] == 1200


def test_every_event_is_logged_with_its_evidence(learner, learner_api, lesson):
    p = Player(lesson.pk, "wechat")
    response = learner_api.post(
        "/api/v1/progress/events/",
        {"events": [p.play(0, 0), p.beat(20, 20), p.play(-3, 21)]},
        format="json",
        HTTP_USER_AGENT="Mozilla/5.0 MicroMessenger/8.0",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200
    log = list(ProgressEvent.objects.order_by("client_at"))
    assert [(e.type, e.status, e.reason) for e in log] == [
        ("play", "accepted", ""),
        ("heartbeat", "accepted", ""),
        ("play", "rejected", "invalid position"),
    ]
    assert log[1].credited_seconds == 20
    assert {e.channel for e in log} == {"wechat"}
    assert {e.ip for e in log} == {"10.1.2.3"}
    assert all("MicroMessenger" in e.user_agent for e in log)
    assert all(e.received_at and e.session for e in log)


def test_a_sessions_batches_arriving_in_reverse_order_credit_the_same(learner, learner_api, lesson):
    p = Player(lesson.pk, "app")
    events = p.watch(0, 200, at=0, step=20)
    first_half, second_half = events[:5], events[5:]
    assert set(statuses(send(learner_api, second_half))) == {"accepted"}
    assert set(statuses(send(learner_api, first_half))) == {"accepted"}
    assert credited(learner, lesson) == 200
    assert learner_api.get(f"/api/v1/progress/lessons/{lesson.pk}/").json()["position"] == 200


def test_a_late_event_cannot_fill_a_skip(learner, learner_api, lesson):
    p = Player(lesson.pk)
    play, beat = p.play(0, 0), p.beat(20, 20)
    jump = p.beat(300, 40)  # 280 s of media in 20 s: a skip
    send(learner_api, [play, jump])
    send(learner_api, [beat])  # arrives late, between them
    assert credited(learner, lesson) == 20


def test_the_log_says_how_each_segment_was_judged(learner, learner_api, lesson):
    p = Player(lesson.pk)
    send(learner_api, [p.play(0, 0), p.beat(20, 20), p.beat(200, 30), p.beat(210, 200), p.seek(218, 0, 210)])
    q = Player(lesson.pk)
    send(learner_api, [q.play(0, 300), q.beat(20, 320)])
    outcomes = list(ProgressEvent.objects.order_by("client_at").values_list("type", "segment"))
    assert outcomes == [
        ("play", ""),
        ("heartbeat", "credited"),
        ("heartbeat", "skip"),
        ("heartbeat", "gap"),
        ("seek", "credited"),
        ("play", ""),
        ("heartbeat", "repeat"),
    ]


def test_lessons_completed_by_their_own_rule_complete_the_course_once_its_hours_are_credited(
    learner, learner_api
):
    from decimal import Decimal

    from courses.models import Lesson
    from learners.models import Enrollment
    from progress.completion import lesson_content_complete

    course = make_course(lessons=2, duration=300, required_hours=Decimal("0.15"))  # 540 s
    enroll(learner, course)
    Lesson.objects.filter(course=course).update(kind="quiz")
    first, second = course.lessons.order_by("sort_order")
    assert lesson_content_complete(learner=learner, lesson=first, channel="app") is True
    assert lesson_content_complete(learner=learner, lesson=first) is False
    assert LessonProgress.objects.get(learner=learner, lesson=first).last_channel == "app"
    assert lesson_content_complete(learner=learner, lesson=second) is True

    def completed_at():
        return Enrollment.objects.get(learner=learner, course=course).completed_at

    assert completed_at() is None  # both quizzes passed, but no study time credited yet
    send(learner_api, Player(first.pk).watch(0, 300, at=0))
    assert completed_at() is None  # 300 s of the 540 s the course requires
    send(learner_api, Player(second.pk).watch(0, 300, at=400))
    assert completed_at() is not None


def test_heartbeats_credit_time_in_a_quiz_but_never_complete_it(learner, learner_api, course):
    """Time in a quiz is credited from the page's heartbeats, like reading a document; only a
    passed attempt completes it (tests/test_lesson_kinds.py)."""
    quiz = course.lessons.order_by("sort_order").last()
    quiz.kind = "quiz"
    quiz.save()
    response = send(learner_api, Player(quiz.pk).watch(0, 600, at=0))
    assert set(statuses(response)) == {"accepted"}
    assert credited(learner, quiz) == 600
    assert LessonProgress.objects.get(learner=learner, lesson=quiz).completed_at is None
