"""Reads for the quiz API: the lesson's quiz, an attempt's questions (never their answers),
and a learner's summary of a quiz."""

from django.db.models import Count, Max, Q

from courses.models import Lesson
from learners.models import Learner
from quizzes.models import Attempt, Question, Quiz


def lesson_with_quiz(lesson_id: int) -> Lesson | None:
    """The lesson, with its quiz (if any) joined in one query."""
    return Lesson.objects.select_related("quiz").filter(pk=lesson_id).first()


def quiz_of(lesson: Lesson) -> Quiz | None:
    try:
        return lesson.quiz
    except Quiz.DoesNotExist:
        return None


def learner_is_enrolled(learner: Learner, lesson: Lesson) -> bool:
    return learner.enrollments.filter(course_id=lesson.course_id).exists()


def attempt_questions_data(attempt: Attempt) -> list[dict]:
    """The attempt's questions in its stored order, choices in its stored order: ``id``,
    ``kind``, ``stem``, ``points``, ``choices`` (``id``, ``text``). Two queries, whatever the
    number of questions. A question or choice deleted since the start is left out."""
    questions = {
        question.pk: question
        for question in Question.objects.filter(pk__in=attempt.question_ids).prefetch_related("choices")
    }
    data = []
    for entry in attempt.layout:
        question = questions.get(entry["question"])
        if question is None:
            continue
        choices = {choice.pk: choice for choice in question.choices.all()}
        data.append(
            {
                "id": question.pk,
                "kind": question.kind,
                "stem": question.stem,
                "points": entry["points"],
                "choices": [
                    {"id": choice_id, "text": choices[choice_id].text}
                    for choice_id in entry["choices"]
                    if choice_id in choices
                ],
            }
        )
    return data


def attempts_left(quiz: Quiz, used: int) -> int | None:
    """None when the quiz allows unlimited attempts."""
    return max(quiz.max_attempts - used, 0) if quiz.max_attempts else None


def attempt_data(attempt: Attempt, *, quiz: Quiz, used: int) -> dict:
    """An attempt under way, as the start endpoint answers it."""
    return {
        "id": attempt.pk,
        "quiz": quiz.pk,
        "title": quiz.title,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at.isoformat(),
        "expires_at": attempt.expires_at.isoformat() if attempt.expires_at else None,
        "time_limit_minutes": quiz.time_limit_minutes,
        "pass_mark": quiz.pass_mark,
        "max_points": attempt.max_points,
        "attempts_used": used,
        "attempts_left": attempts_left(quiz, used),
        "questions": attempt_questions_data(attempt),
    }


def attempts_used(quiz: Quiz, learner: Learner) -> int:
    return Attempt.objects.filter(quiz=quiz, learner=learner).count()


def quiz_summary(quiz: Quiz, learner: Learner) -> dict:
    """What the learner needs before starting: the quiz's rules and their record on it."""
    tally = Attempt.objects.filter(quiz=quiz, learner=learner).aggregate(
        used=Count("pk"),
        best=Max("score", filter=~Q(status=Attempt.Status.OPEN)),
        passes=Count("pk", filter=Q(passed=True)),
        open=Max("pk", filter=Q(status=Attempt.Status.OPEN)),
    )
    return {
        "quiz": quiz.pk,
        "lesson": quiz.lesson_id,
        "title": quiz.title,
        "question_count": quiz.quiz_questions.count(),
        "pass_mark": quiz.pass_mark,
        "max_attempts": quiz.max_attempts,
        "time_limit_minutes": quiz.time_limit_minutes,
        "attempts_used": tally["used"],
        "attempts_left": attempts_left(quiz, tally["used"]),
        "best_score": float(tally["best"]) if tally["best"] is not None else None,
        "passed": tally["passes"] > 0,
        "open_attempt": tally["open"],
    }
