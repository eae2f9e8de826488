"""Factories for the question bank, quizzes and quiz lessons."""

import factory
from factory.django import DjangoModelFactory

from courses.models import Lesson, LessonKind
from quizzes.models import Choice, Question, QuestionKind, Quiz, QuizQuestion
from tests.factories import OccupationFactory, make_course


class QuestionFactory(DjangoModelFactory):
    """A question with choices: ``QuestionFactory(kind=..., choices=[("text", True), ...])``.
    Without ``choices``: single → A (correct), B, C, D; multiple → A, B (correct), C, D;
    true/false → 正确 (correct), 错误."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    occupation = factory.SubFactory(OccupationFactory)
    kind = QuestionKind.SINGLE
    stem = factory.Sequence(lambda n: f"第{n}题：老年人护理中哪一项做法是正确的？")
    explanation = factory.Sequence(lambda n: f"第{n}题解析。")

    @factory.post_generation
    def choices(self, create, extracted, **kwargs):
        if extracted is None:
            extracted = {
                QuestionKind.SINGLE: [("A", True), ("B", False), ("C", False), ("D", False)],
                QuestionKind.MULTIPLE: [("A", True), ("B", True), ("C", False), ("D", False)],
                QuestionKind.TRUE_FALSE: [("正确", True), ("错误", False)],
            }[self.kind]
        for order, (text, is_correct) in enumerate(extracted):
            Choice.objects.create(question=self, text=text, is_correct=is_correct, sort_order=order)


def correct_ids(question: Question) -> list[int]:
    return sorted(question.choices.filter(is_correct=True).values_list("pk", flat=True))


def wrong_id(question: Question) -> int:
    return question.choices.filter(is_correct=False).order_by("sort_order").values_list("pk", flat=True)[0]


def quiz_lesson(course=None, *, title="单元测验") -> Lesson:
    """A lesson of kind quiz, appended to ``course`` (a new published course by default)."""
    course = course or make_course(lessons=1)
    return Lesson.objects.create(course=course, title=title, kind=LessonKind.QUIZ, sort_order=99)


def make_quiz(*, lesson=None, questions=(), points=None, **fields) -> Quiz:
    """A quiz with ``questions`` (each worth ``points[i]``, default 1) in order."""
    fields.setdefault("title", "养老护理员基础知识测验")
    quiz = Quiz.objects.create(lesson=lesson, **fields)
    for order, question in enumerate(questions):
        QuizQuestion.objects.create(
            quiz=quiz, question=question, points=points[order] if points else 1, sort_order=order
        )
    return quiz
