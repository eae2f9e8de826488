# ruff: noqa: F811  (the fixtures lesson, questions and quiz come from tests.quiz_setup)
"""The question bank and the editors' screens for questions and quizzes (split from
test_quizzes.py, which covers attempts)."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from quizzes.models import Attempt, Choice, Question, QuestionKind, Quiz
from quizzes.services import attempt_start
from tests.factories import OccupationFactory, UserFactory, make_course
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
from tests.quizzes_factories import QuestionFactory, make_quiz, quiz_lesson

pytestmark = pytest.mark.django_db


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
    # A live question's edits are a draft until published (quizzes are moderated snippets).
    response = editor_client.post(
        f"/admin/snippets/quizzes/question/edit/{question.pk}/", data | {"action-publish": "1"}
    )
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
