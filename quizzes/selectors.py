"""Reads for the quiz API and the quiz player: the lesson's (live) quiz, its score scale, an
attempt's questions (never their answers), and a learner's summary of a quiz.

One score scale everywhere a learner looks: the quiz's points. ``max_points`` is 满分 (the points
of the quiz's live questions, or of the attempt's questions), ``pass_points`` the fewest points
that pass. ``pass_mark`` and ``score`` stay in the answers as percentages, for clients that
already read them."""

from django.db.models import Count, Max, Q, Sum

from courses.models import Lesson
from learners.models import Learner
from quizzes.models import Attempt, Question, Quiz, pass_points


def lesson_with_quiz(lesson_id: int) -> Lesson | None:
    """The lesson, with its quiz (if any) joined in one query."""
    return Lesson.objects.select_related("quiz").filter(pk=lesson_id).first()


def quiz_of(lesson: Lesson) -> Quiz | None:
    """The lesson's quiz if it is live (published); a draft or unpublished quiz is no quiz yet."""
    try:
        quiz = lesson.quiz
    except Quiz.DoesNotExist:
        return None
    return quiz if quiz.live else None


def quiz_scale(quiz: Quiz) -> dict:
    """What a learner starting now gets: ``question_count``, ``max_points`` (满分) and
    ``pass_points`` (及格分), from the quiz's live questions. One query."""
    tally = quiz.playable_entries().aggregate(count=Count("pk"), total=Sum("points"))
    total = tally["total"] or 0
    return {
        "question_count": tally["count"],
        "max_points": total,
        "pass_points": pass_points(quiz.pass_mark, total),
    }


def lesson_quiz_scale(lesson: Lesson) -> dict | None:
    """The quiz player's heading for a quiz lesson: the live quiz's title and scale, or None."""
    quiz = quiz_of(lesson)
    if quiz is None:
        return None
    return {"title": quiz.title, "pass_mark": quiz.pass_mark, **quiz_scale(quiz)}


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
        "pass_points": pass_points(quiz.pass_mark, attempt.max_points),
        "attempts_used": used,
        "attempts_left": attempts_left(quiz, used),
        "questions": attempt_questions_data(attempt),
    }


def attempts_used(quiz: Quiz, learner: Learner) -> int:
    return Attempt.objects.filter(quiz=quiz, learner=learner).count()


def quiz_summary(quiz: Quiz, learner: Learner) -> dict:
    """What the learner needs before starting: the quiz's rules and scale, and their record on
    it. The best attempt is the one with the highest score; its points are given with the
    maximum it was taken on (the quiz may have changed since)."""
    attempts = Attempt.objects.filter(quiz=quiz, learner=learner)
    tally = attempts.aggregate(
        used=Count("pk"),
        passes=Count("pk", filter=Q(passed=True)),
        open=Max("pk", filter=Q(status=Attempt.Status.OPEN)),
    )
    best = (
        attempts.exclude(status=Attempt.Status.OPEN)
        .order_by("-score", "-points", "-pk")
        .values("score", "points", "max_points")
        .first()
    )
    scale = quiz_scale(quiz)
    return {
        "quiz": quiz.pk,
        "lesson": quiz.lesson_id,
        "title": quiz.title,
        "question_count": scale["question_count"],
        "max_points": scale["max_points"],
        "pass_points": scale["pass_points"],
        "pass_mark": quiz.pass_mark,
        "max_attempts": quiz.max_attempts,
        "time_limit_minutes": quiz.time_limit_minutes,
        "attempts_used": tally["used"],
        "attempts_left": attempts_left(quiz, tally["used"]),
        "best_score": float(best["score"]) if best else None,
        "best_points": best["points"] if best else None,
        "best_max_points": best["max_points"] if best else None,
        "passed": tally["passes"] > 0,
        "open_attempt": tally["open"],
    }
