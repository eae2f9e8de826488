"""The quiz tests' shared set-up (test_quizzes, test_quiz_bank, test_quiz_browser): a learner
enrolled in a course with a quiz lesson, three questions of the three kinds worth 2 + 2 + 1 points,
and the API calls. Test modules import the fixtures by name."""

import pytest

from quizzes.models import QuestionKind
from tests.factories import enroll, make_course
from tests.quizzes_factories import QuestionFactory, correct_ids, make_quiz, quiz_lesson


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
