"""Quizzes: the question bank's rules, attempts (start, shuffle, scoring, limits, time limit),
the API's permission rules and bad input, lesson completion, query budgets, editors' screens."""

import datetime as dt
import os
import shutil
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from courses.models import LessonKind
from progress.models import LessonProgress
from quizzes.models import Attempt, Choice, Question, QuestionKind, Quiz
from quizzes.services import GRACE_SECONDS, attempt_start, attempt_submit, layout_build
from tests.conftest import client_for
from tests.factories import LearnerFactory, OccupationFactory, UserFactory, enroll, make_course
from tests.quizzes_factories import QuestionFactory, correct_ids, make_quiz, quiz_lesson, wrong_id

pytestmark = pytest.mark.django_db


def start_url(lesson) -> str:
    return f"/api/v1/quizzes/lessons/{lesson.pk}/attempts/"


def submit_url(attempt_id) -> str:
    return f"/api/v1/quizzes/attempts/{attempt_id}/submit/"


def summary_url(lesson) -> str:
    return f"/api/v1/quizzes/lessons/{lesson.pk}/"


def all_right(questions) -> dict:
    return {str(q.pk): correct_ids(q) for q in questions}


@pytest.fixture
def questions(db):
    return [
        QuestionFactory(kind=QuestionKind.SINGLE),
        QuestionFactory(kind=QuestionKind.MULTIPLE),
        QuestionFactory(kind=QuestionKind.TRUE_FALSE),
    ]


@pytest.fixture
def lesson(learner):
    course = make_course(lessons=1)
    enroll(learner, course)
    return quiz_lesson(course)


@pytest.fixture
def quiz(lesson, questions):
    # Points 2 + 2 + 1 = 5; pass mark 60 % = 3 points.
    return make_quiz(lesson=lesson, questions=questions, points=[2, 2, 1], pass_mark=60, max_attempts=3)


def start(client, lesson):
    return client.post(start_url(lesson), format="json")


def submit(client, attempt_id, answers, **extra):
    return client.post(submit_url(attempt_id), {"answers": answers, **extra}, format="json")


# --- the question bank ---------------------------------------------------------------------------


def make_unsaved(kind, choices) -> Question:
    question = Question(occupation=OccupationFactory(), kind=kind, stem="题干")
    question.choices = [Choice(text=text, is_correct=ok) for text, ok in choices]
    return question


@pytest.mark.parametrize(
    ("kind", "choices", "message"),
    [
        (QuestionKind.SINGLE, [("A", True)], "至少需要两个选项"),
        (QuestionKind.SINGLE, [("A", True), ("B", True), ("C", False)], "恰好有一个正确选项"),
        (QuestionKind.SINGLE, [("A", False), ("B", False)], "恰好有一个正确选项"),
        (QuestionKind.SINGLE, [("A", True), ("A", False)], "不能重复"),
        (QuestionKind.MULTIPLE, [("A", False), ("B", False), ("C", False)], "至少要有一个正确选项"),
        (QuestionKind.MULTIPLE, [("A", True)], "至少需要两个选项"),
        (QuestionKind.TRUE_FALSE, [("对", True), ("错", False)], "正确"),
        (QuestionKind.TRUE_FALSE, [("正确", True), ("错误", True)], "恰好有一个正确答案"),
        (QuestionKind.TRUE_FALSE, [("正确", True)], "正确"),
        (QuestionKind.TRUE_FALSE, [], "正确"),
    ],
)
def test_it_rejects_choices_that_do_not_fit_the_kind(kind, choices, message):
    with pytest.raises(ValidationError) as error:
        make_unsaved(kind, choices).full_clean()
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("kind", "choices"),
    [
        (QuestionKind.SINGLE, [("A", False), ("B", True)]),
        (QuestionKind.MULTIPLE, [("A", True), ("B", True), ("C", False)]),
        (QuestionKind.MULTIPLE, [("A", True), ("B", False)]),
        (QuestionKind.TRUE_FALSE, [("错误", True), ("正确", False)]),
    ],
)
def test_it_accepts_choices_that_fit_the_kind(kind, choices):
    make_unsaved(kind, choices).full_clean()


def test_true_false_choices_are_made_from_the_answer():
    question = Question(occupation=OccupationFactory(), kind=QuestionKind.TRUE_FALSE, stem="题干")
    question.true_false_choices_set(true_is_correct=False)
    question.full_clean()
    question.save()
    assert list(question.choices.values_list("text", "is_correct")) == [("正确", False), ("错误", True)]


# --- editors' screens ---------------------------------------------------------------------------


@pytest.fixture
def editor_client(client):
    client.force_login(UserFactory(username="editor", is_staff=True, is_superuser=True))
    return client


def question_form(kind, choices, **extra):
    occupation = OccupationFactory()
    return nested_form_data(
        {
            "occupation": occupation.pk,
            "level": "",
            "kind": kind,
            "stem": "老年人跌倒后应立即将其扶起。",
            "explanation": "应先评估伤情。",
            "true_false_answer": extra.pop("true_false_answer", ""),
            "choices": inline_formset(
                [{"text": text, "is_correct": ok, "ORDER": i} for i, (text, ok) in enumerate(choices)]
            ),
        }
    )


def test_an_editor_adds_a_true_false_question_by_its_answer_alone(editor_client):
    data = question_form(QuestionKind.TRUE_FALSE, [], true_false_answer="false")
    response = editor_client.post("/admin/snippets/quizzes/question/add/", data)
    assert response.status_code == 302
    question = Question.objects.get()
    assert list(question.choices.values_list("text", "is_correct")) == [("正确", False), ("错误", True)]


def test_an_editor_cannot_save_a_single_choice_question_with_two_answers(editor_client):
    data = question_form(QuestionKind.SINGLE, [("扶起", True), ("评估伤情", True)])
    response = editor_client.post("/admin/snippets/quizzes/question/add/", data)
    assert response.status_code == 200
    assert "恰好有一个正确选项" in response.content.decode()
    assert not Question.objects.exists()


def test_an_editor_saves_a_multiple_choice_question_with_its_choices(editor_client):
    data = question_form(
        QuestionKind.MULTIPLE, [("勤翻身", True), ("保持皮肤干燥", True), ("久卧不动", False)]
    )
    response = editor_client.post("/admin/snippets/quizzes/question/add/", data)
    assert response.status_code == 302
    question = Question.objects.get()
    assert list(question.choices.values_list("text", flat=True)) == ["勤翻身", "保持皮肤干燥", "久卧不动"]


def test_an_editor_moves_the_correct_answer_of_a_saved_question(editor_client):
    question = QuestionFactory(kind=QuestionKind.SINGLE, choices=[("扶起", True), ("评估伤情", False)])
    first, second = question.choices.order_by("sort_order")
    data = nested_form_data(
        {
            "occupation": question.occupation_id,
            "level": "",
            "kind": QuestionKind.SINGLE,
            "stem": question.stem,
            "explanation": "",
            "true_false_answer": "",
            "choices": inline_formset(
                [
                    {"id": first.pk, "text": "扶起", "is_correct": False, "ORDER": 0},
                    {"id": second.pk, "text": "评估伤情", "is_correct": True, "ORDER": 1},
                ],
                initial=2,
            ),
        }
    )
    response = editor_client.post(f"/admin/snippets/quizzes/question/edit/{question.pk}/", data)
    assert response.status_code == 302
    assert list(question.choices.values_list("pk", "is_correct")) == [(first.pk, False), (second.pk, True)]


def test_an_editor_builds_a_quiz_from_the_bank_for_a_quiz_lesson(editor_client):
    lesson = quiz_lesson(make_course(lessons=1))
    bank = [QuestionFactory(), QuestionFactory(kind=QuestionKind.TRUE_FALSE)]
    data = nested_form_data(
        {
            "title": "跌倒处置测验",
            "lesson": lesson.pk,
            "pass_mark": 80,
            "max_attempts": 0,
            "time_limit_minutes": "",
            "shuffle_questions": "on",
            "quiz_questions": inline_formset(
                [{"question": q.pk, "points": i + 1, "ORDER": i} for i, q in enumerate(bank)]
            ),
        }
    )
    response = editor_client.post("/admin/snippets/quizzes/quiz/add/", data)
    assert response.status_code == 302
    quiz = Quiz.objects.get()
    assert (quiz.lesson, quiz.pass_mark, quiz.max_attempts, quiz.shuffle_choices) == (lesson, 80, 0, False)
    assert list(quiz.quiz_questions.values_list("question", "points")) == [(bank[0].pk, 1), (bank[1].pk, 2)]


def test_a_quiz_with_attempts_cannot_be_deleted_but_one_without_can(editor_client, learner):
    attempted = make_quiz(questions=[QuestionFactory()])
    attempt_start(learner=learner, quiz=attempted)
    unused = make_quiz(title="未使用的测验")

    refused = editor_client.post(f"/admin/snippets/quizzes/quiz/delete/{attempted.pk}/")
    deleted = editor_client.post(f"/admin/snippets/quizzes/quiz/delete/{unused.pk}/")

    assert refused.status_code == deleted.status_code == 302
    assert list(Quiz.objects.all()) == [attempted]
    assert Attempt.objects.filter(quiz=attempted).exists()


def test_the_quiz_form_offers_quiz_lessons_as_course_and_lesson_titles(editor_client):
    course = make_course(lessons=1, title="养老护理员（五级）")
    quiz_lesson(course, title="第一单元测验")
    response = editor_client.get("/admin/snippets/quizzes/quiz/add/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "养老护理员（五级） — 第一单元测验" in html
    assert "养老护理员（五级） — 第1课" not in html  # a video lesson is not offered


def test_the_question_bank_list_filters_by_occupation_and_kind(editor_client):
    QuestionFactory(kind=QuestionKind.SINGLE, stem="单选题甲")
    QuestionFactory(kind=QuestionKind.TRUE_FALSE, stem="判断题乙")
    response = editor_client.get("/admin/snippets/quizzes/question/?kind=true_false")
    assert response.status_code == 200
    html = response.content.decode()
    assert "判断题乙" in html
    assert "单选题甲" not in html


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
        "pass_mark": 60,
        "max_attempts": 3,
        "time_limit_minutes": None,
        "attempts_used": 0,
        "attempts_left": 3,
        "best_score": None,
        "passed": False,
        "open_attempt": None,
    }
    single = questions[0]
    submit(learner_api, start(learner_api, quiz.lesson).json()["id"], {str(single.pk): correct_ids(single)})
    open_id = start(learner_api, quiz.lesson).json()["id"]

    body = learner_api.get(summary_url(quiz.lesson)).json()

    assert (body["attempts_used"], body["attempts_left"]) == (2, 1)
    assert (body["best_score"], body["passed"], body["open_attempt"]) == (40.0, False, open_id)


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


# --- the web player in a browser ----------------------------------------------------------------


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or next(
        (path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))),
        None,
    )


@pytest.mark.skipif(
    _chromium() is None, reason="needs a Chromium (set CHROMIUM_PATH or put chromium on PATH)"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_learner_takes_the_quiz_in_the_web_player_on_a_phone_screen(live_server):
    from django.test import Client
    from playwright.sync_api import sync_playwright

    from quizzes.demo import seed_quizzes

    learner = LearnerFactory()
    course = make_course(lessons=1)
    enroll(learner, course)
    lesson = quiz_lesson(course)
    seed_quizzes(lesson)
    browser_client = Client()
    browser_client.force_login(learner.user)
    request = RequestFactory().get("/")
    request.user = learner.user
    fragment = render_to_string("quizzes/quiz_player.html", {"lesson": lesson}, request=request)
    page_html = (
        '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><main>{fragment}</main></body></html>"
    )
    answers = {question.pk: correct_ids(question) for question in Question.objects.all()}
    host = live_server.url.split("//")[1].split(":")[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 390, "height": 844})
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": browser_client.cookies["sessionid"].value,
                    "domain": host,
                    "path": "/",
                },
                {"name": "csrftoken", "value": request.META["CSRF_COOKIE"], "domain": host, "path": "/"},
            ]
        )
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        # The lesson page will embed the fragment; here a stand-in page on the server's origin.
        page.route(
            f"{live_server.url}/quiz-page/",
            lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page_html),
        )
        page.goto(f"{live_server.url}/quiz-page/")
        page.get_by_role("button", name="开始测验").click()
        page.wait_for_selector("fieldset.quiz-question")
        shown = page.eval_on_selector_all(
            "fieldset.quiz-question", "nodes => nodes.map(n => n.dataset.question)"
        )
        for question_id in shown:  # answer every question right, by clicking the labels
            for choice_id in answers[int(question_id)]:
                page.click(f"label[for=quiz-q{question_id}-c{choice_id}]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="交卷").click()
        page.wait_for_selector(".quiz-score")
        assert "恭喜，测验通过" in page.inner_text(".quiz-status")
        assert "100 分" in page.inner_text(".quiz-score")
        assert page.locator(".quiz-explanation").count() == len(shown)
        browser.close()
    assert errors == []
    attempt = Attempt.objects.get(learner=learner)
    assert attempt.question_ids == [int(question_id) for question_id in shown]
    assert (attempt.status, attempt.passed, attempt.channel) == (Attempt.Status.SUBMITTED, True, "pc")
    assert LessonProgress.objects.get(learner=learner, lesson=lesson).completed_at is not None


# --- races (PostgreSQL) ---------------------------------------------------------------------------


def _run_together(jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = []

    def runner(job):
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except Exception as error:  # noqa: BLE001 — reported by the test
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_starts_and_submits_cannot_exceed_the_rules():
    learner = LearnerFactory()
    questions = [QuestionFactory(kind=kind) for kind in QuestionKind.values]
    quiz = make_quiz(questions=questions, max_attempts=1)

    started = _run_together([lambda: attempt_start(learner=learner, quiz=quiz)] * 4)
    assert all(not isinstance(result, Exception) for result in started), started
    assert Attempt.objects.filter(quiz=quiz, learner=learner).count() == 1
    attempt_id = Attempt.objects.get().pk

    submitted = _run_together(
        [lambda: attempt_submit(learner=learner, attempt_id=attempt_id, answers=all_right(questions))] * 4
    )
    assert sum(1 for result in submitted if not isinstance(result, Exception)) == 1
    assert Attempt.objects.get().status == Attempt.Status.SUBMITTED
