# ruff: noqa: F811  (the fixtures lesson, questions and quiz come from tests.quiz_setup)
"""Quizzes: attempts (start, shuffle, scoring, limits, time limit),
the API's permission rules and bad input, lesson completion, query budgets."""

import datetime as dt

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from courses.models import LessonKind
from progress.models import LessonProgress
from quizzes.models import Attempt, Question, QuestionKind, Quiz
from quizzes.services import GRACE_SECONDS, attempt_start, attempt_submit, layout_build
from tests.conftest import client_for
from tests.factories import LearnerFactory, UserFactory, enroll, make_course
from tests.quiz_setup import (  # noqa: F401  (fixtures: lesson, questions, quiz)
    all_right,
    lesson,
    questions,
    quiz,
    start,
    start_url,
    submit,
    submit_url,
    summary_url,
)
from tests.quizzes_factories import QuestionFactory, correct_ids, make_quiz, quiz_lesson, wrong_id

pytestmark = pytest.mark.django_db


# --- starting an attempt ------------------------------------------------------------------------


def test_a_learner_starts_an_attempt_without_seeing_the_answers(learner, learner_api, quiz, questions):
    response = start(learner_api, quiz.lesson)

    assert response.status_code == 201
    body = response.json()
    assert body["title"] == quiz.title
    assert body["number"] == 1
    assert body["expires_at"] is None
    assert body["attempts_left"] == 2
    assert {q["id"] for q in body["questions"]} == {q.pk for q in questions}
    for item in body["questions"]:
        question = Question.objects.get(pk=item["id"])
        assert item["kind"] == question.kind
        assert item["stem"] == question.stem
        assert {c["id"] for c in item["choices"]} == set(question.choices.values_list("pk", flat=True))
        assert all(set(choice) == {"id", "text"} for choice in item["choices"])
    assert "is_correct" not in response.content.decode()
    assert "explanation" not in response.content.decode()
    attempt = Attempt.objects.get()
    assert attempt.learner == learner and attempt.status == Attempt.Status.OPEN
    assert attempt.question_ids == [q["id"] for q in body["questions"]]
    assert attempt.max_points == 5


def test_an_unfinished_attempt_is_returned_again_in_the_same_order(learner_api, quiz):
    quiz.shuffle_choices = True
    quiz.save()
    first = start(learner_api, quiz.lesson).json()

    again = start(learner_api, quiz.lesson)

    assert again.status_code == 200
    assert again.json() == first
    assert Attempt.objects.count() == 1


def test_the_order_is_drawn_from_the_stored_seed_and_varies_between_attempts(db):
    many = [QuestionFactory() for _ in range(8)]
    big = make_quiz(questions=many, shuffle_questions=True, shuffle_choices=True)
    entries = list(big.quiz_questions.select_related("question").prefetch_related("question__choices"))

    assert layout_build(big, entries, 1234) == layout_build(big, entries, 1234)
    orders = {tuple(e["question"] for e in layout_build(big, entries, seed)) for seed in range(20)}
    assert len(orders) > 1
    assert all(sorted(order) == sorted(q.pk for q in many) for order in orders)


def test_without_shuffling_questions_and_true_false_choices_keep_their_order(learner_api, lesson, questions):
    make_quiz(lesson=lesson, questions=questions, shuffle_questions=False, shuffle_choices=True)
    body = start(learner_api, lesson).json()
    assert [q["id"] for q in body["questions"]] == [q.pk for q in questions]
    true_false = body["questions"][2]
    assert [c["text"] for c in true_false["choices"]] == ["正确", "错误"]


def test_a_quiz_without_questions_cannot_be_started(learner_api, lesson):
    make_quiz(lesson=lesson)
    response = start(learner_api, lesson)
    assert response.status_code == 404
    assert "没有题目" in response.json()["detail"]
    assert not Attempt.objects.exists()


def test_attempt_start_queries_do_not_grow_with_the_number_of_questions(learner, learner_api, lesson):
    small = lesson
    make_quiz(lesson=small, questions=[QuestionFactory()])
    large = quiz_lesson(small.course, title="期末测验")
    make_quiz(lesson=large, questions=[QuestionFactory(kind=k) for k in list(QuestionKind) * 4])

    with CaptureQueriesContext(connection) as few:
        assert start(learner_api, small).status_code == 201
    with CaptureQueriesContext(connection) as many:
        assert start(learner_api, large).status_code == 201
    assert len(many) == len(few)


def test_attempt_start_stays_within_its_query_budget(learner_api, quiz, django_assert_max_num_queries):
    # token+user, learner, lesson+quiz, enrolment; savepoint, learner lock, open attempt,
    # attempts tally, quiz questions, their choices, insert, release; attempts used, the
    # attempt's questions, their choices
    with django_assert_max_num_queries(15):
        assert start(learner_api, quiz.lesson).status_code == 201


# --- submitting and scoring ---------------------------------------------------------------------


def test_all_correct_answers_score_full_marks_and_pass(learner, learner_api, quiz, questions):
    attempt_id = start(learner_api, quiz.lesson).json()["id"]

    response = submit(learner_api, attempt_id, all_right(questions))

    assert response.status_code == 200
    body = response.json()
    assert body["score"] == 100.0
    assert body["passed"] is True
    assert (body["points"], body["max_points"]) == (5, 5)
    assert (body["attempts_used"], body["attempts_left"]) == (1, 2)
    by_question = {r["question"]: r for r in body["results"]}
    for question in questions:
        result = by_question[question.pk]
        assert result["correct"] is True
        assert result["correct_choices"] == correct_ids(question)
        assert result["explanation"] == question.explanation
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.score == 100
    assert attempt.passed is True
    assert attempt.answers == {str(k): v for k, v in all_right(questions).items()}


@pytest.mark.parametrize(
    ("kind", "pick", "right"),
    [
        (QuestionKind.SINGLE, "correct", True),
        (QuestionKind.SINGLE, "wrong", False),
        (QuestionKind.SINGLE, "none", False),
        (QuestionKind.TRUE_FALSE, "correct", True),
        (QuestionKind.TRUE_FALSE, "wrong", False),
        (QuestionKind.MULTIPLE, "correct", True),
        (QuestionKind.MULTIPLE, "subset", False),
        (QuestionKind.MULTIPLE, "superset", False),
    ],
)
def test_each_kind_is_scored_all_or_nothing(learner_api, lesson, kind, pick, right):
    question = QuestionFactory(kind=kind)
    make_quiz(lesson=lesson, questions=[question], points=[4])
    attempt_id = start(learner_api, lesson).json()["id"]
    answer = {
        "correct": correct_ids(question),
        "wrong": [wrong_id(question)],
        "none": [],
        "subset": correct_ids(question)[:1],
        "superset": correct_ids(question) + [wrong_id(question)],
    }[pick]

    body = submit(learner_api, attempt_id, {str(question.pk): answer}).json()

    assert body["results"][0]["correct"] is right
    assert body["points"] == (4 if right else 0)
    assert Attempt.objects.get(pk=attempt_id).points == (4 if right else 0)


def test_the_pass_mark_decides_passing(learner_api, quiz, questions):
    single, multiple, true_false = questions
    # 2 + 0 + 1 = 3 of 5 points = 60 %: exactly the pass mark.
    attempt_id = start(learner_api, quiz.lesson).json()["id"]
    answers = {str(single.pk): correct_ids(single), str(true_false.pk): correct_ids(true_false)}
    body = submit(learner_api, attempt_id, answers).json()
    assert (body["score"], body["passed"]) == (60.0, True)

    # 2 of 5 = 40 %: fails.
    attempt_id = start(learner_api, quiz.lesson).json()["id"]
    body = submit(learner_api, attempt_id, {str(multiple.pk): correct_ids(multiple)}).json()
    assert (body["score"], body["passed"]) == (40.0, False)
    assert list(Attempt.objects.order_by("number").values_list("passed", flat=True)) == [True, False]


def test_submitting_twice_is_a_409_and_keeps_the_first_score(learner_api, quiz, questions):
    attempt_id = start(learner_api, quiz.lesson).json()["id"]
    submit(learner_api, attempt_id, {})

    again = submit(learner_api, attempt_id, all_right(questions))

    assert again.status_code == 409
    assert "已经交卷" in again.json()["detail"]
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.score == 0
    assert attempt.answers == {}


def test_the_attempts_limit_is_enforced_and_says_how_many(learner_api, quiz):
    quiz.max_attempts = 2
    quiz.save()
    for _ in range(2):
        submit(learner_api, start(learner_api, quiz.lesson).json()["id"], {})

    response = start(learner_api, quiz.lesson)

    assert response.status_code == 403
    assert "2 次" in response.json()["detail"]
    assert Attempt.objects.count() == 2


def test_unlimited_attempts_have_no_attempts_left_count(learner_api, quiz):
    quiz.max_attempts = 0
    quiz.save()
    for _ in range(4):
        body = submit(learner_api, start(learner_api, quiz.lesson).json()["id"], {}).json()
    assert body["attempts_left"] is None
    assert body["attempts_used"] == 4


def test_a_question_removed_from_the_bank_during_an_attempt_is_left_out(learner_api, quiz, questions):
    single, multiple, true_false = questions
    attempt_id = start(learner_api, quiz.lesson).json()["id"]
    quiz.quiz_questions.filter(question=multiple).delete()
    multiple.delete()

    body = submit(learner_api, attempt_id, all_right([single, true_false])).json()

    assert (body["points"], body["max_points"], body["score"]) == (3, 3, 100.0)
    assert {r["question"] for r in body["results"]} == {single.pk, true_false.pk}


# --- time limit -------------------------------------------------------------------------------


def test_a_timed_attempt_has_an_expiry_and_counts_within_the_grace(learner_api, quiz, questions):
    quiz.time_limit_minutes = 10
    quiz.save()
    body = start(learner_api, quiz.lesson).json()
    attempt = Attempt.objects.get(pk=body["id"])
    assert dt.datetime.fromisoformat(body["expires_at"]) == attempt.started_at + dt.timedelta(minutes=10)
    # Sent just after the limit but within the grace: still scored.
    Attempt.objects.filter(pk=attempt.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=GRACE_SECONDS - 10)
    )
    assert submit(learner_api, attempt.pk, all_right(questions)).json()["passed"] is True


def test_a_submission_after_the_time_limit_closes_the_attempt_with_zero(learner_api, quiz, questions):
    quiz.time_limit_minutes = 10
    quiz.save()
    attempt_id = start(learner_api, quiz.lesson).json()["id"]
    Attempt.objects.filter(pk=attempt_id).update(
        expires_at=timezone.now() - dt.timedelta(seconds=GRACE_SECONDS + 5)
    )

    response = submit(learner_api, attempt_id, all_right(questions))

    assert response.status_code == 409
    assert response.json()["expired"] is True
    assert "时间已到" in response.json()["detail"]
    attempt = Attempt.objects.get(pk=attempt_id)
    assert (attempt.status, attempt.score, attempt.passed) == (Attempt.Status.EXPIRED, 0, False)
    assert not LessonProgress.objects.exists()


def test_an_overdue_unfinished_attempt_is_closed_and_a_new_one_started(learner_api, quiz):
    quiz.time_limit_minutes = 5
    quiz.save()
    first = start(learner_api, quiz.lesson).json()["id"]
    Attempt.objects.filter(pk=first).update(expires_at=timezone.now() - dt.timedelta(hours=1))

    response = start(learner_api, quiz.lesson)

    assert response.status_code == 201
    assert response.json()["number"] == 2
    assert Attempt.objects.get(pk=first).status == Attempt.Status.EXPIRED


def test_an_overdue_last_attempt_is_closed_even_when_none_are_left(learner_api, quiz):
    quiz.time_limit_minutes = 5
    quiz.max_attempts = 1
    quiz.save()
    first = start(learner_api, quiz.lesson).json()["id"]
    Attempt.objects.filter(pk=first).update(expires_at=timezone.now() - dt.timedelta(hours=1))

    assert start(learner_api, quiz.lesson).status_code == 403
    assert Attempt.objects.get(pk=first).status == Attempt.Status.EXPIRED


# --- bad bodies -----------------------------------------------------------------------------------


def test_malformed_submissions_are_400s_that_leave_the_attempt_open(learner_api, quiz, questions):
    single, multiple, true_false = questions
    other = QuestionFactory()
    attempt_id = start(learner_api, quiz.lesson).json()["id"]
    bad_bodies = [
        [],
        {},
        {"answers": []},
        {"answers": "A"},
        {"answers": None},
        {"answers": {"abc": [1]}},
        {"answers": {str(other.pk): correct_ids(other)}},
        {"answers": {"999999": [1]}},
        {"answers": {str(single.pk): correct_ids(other)}},
        {"answers": {str(single.pk): correct_ids(single)[0]}},
        {"answers": {str(single.pk): ["x"]}},
        {"answers": {str(single.pk): [1.5]}},
        {"answers": {str(single.pk): [True]}},
        {"answers": {str(single.pk): [None]}},
        {"answers": {str(single.pk): [{"id": 1}]}},
        {"answers": {str(single.pk): [single.choices.first().pk, single.choices.last().pk]}},
        {"answers": {str(true_false.pk): correct_ids(true_false) + [wrong_id(true_false)]}},
        {"answers": {}, "channel": "fax"},
        {"answers": {}, "channel": ["pc"]},
    ]
    for body in bad_bodies:
        response = learner_api.post(submit_url(attempt_id), body, format="json")
        assert response.status_code == 400, body
        assert response.json()["detail"], body
    not_json = learner_api.post(submit_url(attempt_id), "{oops", content_type="application/json")
    assert not_json.status_code == 400
    assert Attempt.objects.get(pk=attempt_id).status == Attempt.Status.OPEN


def test_choice_ids_may_come_as_digit_strings(learner_api, quiz, questions):
    attempt_id = start(learner_api, quiz.lesson).json()["id"]
    answers = {key: [str(choice) for choice in value] for key, value in all_right(questions).items()}
    assert submit(learner_api, attempt_id, answers).json()["score"] == 100.0


# --- who may do what --------------------------------------------------------------------------


def test_anonymous_callers_get_401_everywhere(api, quiz):
    attempt = attempt_start(learner=LearnerFactory(), quiz=quiz)[0]
    assert api.get(summary_url(quiz.lesson)).status_code == 401
    assert api.post(start_url(quiz.lesson)).status_code == 401
    assert api.post(submit_url(attempt.pk), {"answers": {}}, format="json").status_code == 401
    assert Attempt.objects.count() == 1


def test_a_user_without_a_learner_profile_gets_403(db, quiz):
    clerk = client_for(UserFactory(username="clerk", is_staff=True))
    for response in (clerk.get(summary_url(quiz.lesson)), clerk.post(start_url(quiz.lesson))):
        assert response.status_code == 403
        assert "学员" in response.json()["detail"]
    assert not Attempt.objects.exists()


def test_a_learner_not_enrolled_gets_403(db, quiz):
    outsider = client_for(LearnerFactory().user)
    assert outsider.get(summary_url(quiz.lesson)).status_code == 403
    response = outsider.post(start_url(quiz.lesson))
    assert response.status_code == 403
    assert "未报名" in response.json()["detail"]
    assert not Attempt.objects.exists()


def test_another_learners_attempt_is_a_404(learner_api, quiz, questions):
    stranger = LearnerFactory()
    enroll(stranger, quiz.lesson.course)
    theirs = attempt_start(learner=stranger, quiz=quiz)[0]

    response = submit(learner_api, theirs.pk, all_right(questions))

    assert response.status_code == 404
    assert response.json()["detail"]
    theirs.refresh_from_db()
    assert theirs.status == Attempt.Status.OPEN
    assert submit(learner_api, 999999, {}).status_code == 404


def test_a_lesson_without_a_quiz_or_an_unknown_lesson_is_a_404(learner, learner_api, lesson):
    for url in (summary_url(lesson), start_url(lesson), "/api/v1/quizzes/lessons/999999/attempts/"):
        response = learner_api.post(url) if url.endswith("attempts/") else learner_api.get(url)
        assert response.status_code == 404, url
        assert response.json()["detail"]


def test_the_web_page_uses_the_session_with_the_csrf_token(learner, quiz):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(learner.user)
    assert browser.post(start_url(quiz.lesson)).status_code == 403  # no CSRF token
    browser.cookies["csrftoken"] = "quizcsrf" * 4  # as the page's csrftoken cookie
    response = browser.post(start_url(quiz.lesson), HTTP_X_CSRFTOKEN="quizcsrf" * 4)
    assert response.status_code == 201


def test_the_player_fragment_names_its_lesson_and_script(learner, quiz):
    request = RequestFactory().get("/")
    request.user = learner.user
    page = render_to_string("quizzes/quiz_player.html", {"lesson": quiz.lesson}, request=request)
    assert f'data-lesson="{quiz.lesson.pk}"' in page
    assert "quizzes/quiz.js" in page
    assert "csrfmiddlewaretoken" in page


# --- summary and completion -------------------------------------------------------------------


def test_the_summary_shows_rules_attempts_and_best_score(learner_api, quiz, questions):
    body = learner_api.get(summary_url(quiz.lesson)).json()
    assert body == {
        "quiz": quiz.pk,
        "lesson": quiz.lesson.pk,
        "title": quiz.title,
        "question_count": 3,
        "max_points": 5,
        "pass_points": 3,
        "pass_mark": 60,
        "max_attempts": 3,
        "time_limit_minutes": None,
        "attempts_used": 0,
        "attempts_left": 3,
        "best_score": None,
        "best_points": None,
        "best_max_points": None,
        "passed": False,
        "open_attempt": None,
    }
    single = questions[0]
    submit(learner_api, start(learner_api, quiz.lesson).json()["id"], {str(single.pk): correct_ids(single)})
    open_id = start(learner_api, quiz.lesson).json()["id"]

    body = learner_api.get(summary_url(quiz.lesson)).json()

    assert (body["attempts_used"], body["attempts_left"]) == (2, 1)
    assert (body["best_score"], body["passed"], body["open_attempt"]) == (40.0, False, open_id)
    assert (body["best_points"], body["best_max_points"]) == (2, 5)


def test_passing_completes_the_lesson_exactly_once(learner, learner_api, quiz, questions):
    failed = start(learner_api, quiz.lesson).json()["id"]
    submit(learner_api, failed, {})
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()

    passed = submit(
        learner_api, start(learner_api, quiz.lesson).json()["id"], all_right(questions), channel="app"
    )
    assert passed.json()["lesson_completed"] is True
    progress = LessonProgress.objects.get(learner=learner, lesson=quiz.lesson)
    assert progress.completed_at is not None
    assert progress.last_channel == "app"
    first_completion = progress.completed_at

    again = submit(learner_api, start(learner_api, quiz.lesson).json()["id"], all_right(questions))
    assert again.json()["passed"] is True
    assert again.json()["lesson_completed"] is False
    progress.refresh_from_db()
    assert progress.completed_at == first_completion
    assert LessonProgress.objects.filter(learner=learner).count() == 1


def test_a_quiz_not_linked_to_a_lesson_scores_without_completing_anything(learner, questions):
    quiz = make_quiz(questions=questions)
    attempt, _created = attempt_start(learner=learner, quiz=quiz)
    outcome = attempt_submit(learner=learner, attempt_id=attempt.pk, answers=all_right(questions))
    assert outcome.attempt.passed is True
    assert outcome.completed_lesson is False
    assert not LessonProgress.objects.exists()


# --- demo and page fragment ---------------------------------------------------------------------


def test_the_demo_quiz_is_seeded_idempotently(db):
    from quizzes.demo import seed_quizzes

    lesson = quiz_lesson(make_course(lessons=1))
    seed_quizzes(lesson)
    seed_quizzes(lesson)

    quiz = Quiz.objects.get(lesson=lesson)
    assert (quiz.pass_mark, quiz.max_attempts) == (60, 3)
    assert quiz.quiz_questions.count() == Question.objects.count() >= 8
    assert set(Question.objects.values_list("kind", flat=True)) == set(QuestionKind.values)
    for question in Question.objects.all():
        question.full_clean()


def test_the_demo_refuses_a_lesson_that_is_not_a_quiz(db):
    from quizzes.demo import seed_quizzes

    video = make_course(lessons=1).lessons.get()
    assert video.kind == LessonKind.VIDEO
    with pytest.raises(ValueError, match="quiz"):
        seed_quizzes(video)
