"""Quiz attempts: starting one (with its fixed, shuffled layout) and submitting it (scoring,
and completing the lesson when it passes).

Locks: both writes take the learner's row lock first (as the progress engine and
``progress.completion`` do), then the attempt's, always in that order, so two concurrent starts
cannot exceed the allowed attempts, a double submit cannot score twice, and the two never
deadlock with each other or with lesson completion.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from learners.models import Learner
from progress.completion import lesson_content_complete
from progress.models import Channel
from quizzes.models import Attempt, Question, QuestionKind, Quiz

# A submit that arrives this long after the time limit still counts (network, slow phones).
GRACE_SECONDS = 30


class QuizRefusal(Exception):
    """A request the rules refuse; the message is for the learner (中文。English.)."""


class NoAttemptsLeft(QuizRefusal):
    pass


class QuizNotReady(QuizRefusal):
    pass


class AttemptNotFound(QuizRefusal):
    pass


class AttemptClosed(QuizRefusal):
    """Already submitted (or closed by its time limit)."""

    def __init__(self, message: str, attempt: Attempt):
        super().__init__(message)
        self.attempt = attempt


class AttemptExpired(AttemptClosed):
    """Submitted after the time limit and grace: closed now with score 0."""


class AnswersInvalid(QuizRefusal):
    pass


def _lock_learner(learner: Learner) -> None:
    Learner.objects.select_for_update().filter(pk=learner.pk).values_list("pk", flat=True).get()


def _expire(attempt: Attempt, now) -> None:
    attempt.status = Attempt.Status.EXPIRED
    attempt.submitted_at = now
    attempt.points = 0
    attempt.score = 0
    attempt.passed = False
    attempt.save(update_fields=["status", "submitted_at", "points", "score", "passed"])


def attempt_is_overdue(attempt: Attempt, now) -> bool:
    return attempt.expires_at is not None and now > attempt.expires_at + timedelta(seconds=GRACE_SECONDS)


def layout_build(quiz: Quiz, entries, seed: int) -> list[dict]:
    """The attempt's questions in order, each with its choices' order and points. Shuffling is
    for variety between learners, not security, so a seeded ``random.Random`` is right here."""
    rng = random.Random(seed)  # noqa: S311
    entries = list(entries)
    if quiz.shuffle_questions:
        rng.shuffle(entries)
    layout = []
    for entry in entries:
        choice_ids = [choice.pk for choice in entry.question.choices.all()]
        if quiz.shuffle_choices and entry.question.kind != QuestionKind.TRUE_FALSE:
            rng.shuffle(choice_ids)
        layout.append({"question": entry.question_id, "choices": choice_ids, "points": entry.points})
    return layout


def attempt_start(*, learner: Learner, quiz: Quiz, now=None) -> tuple[Attempt, bool]:
    """The learner's unfinished attempt (False), or a new one (True). An unfinished attempt past
    its time limit is closed with score 0 first; it counts as used. Raises ``NoAttemptsLeft``
    or ``QuizNotReady`` (after committing such a closure, which stands either way)."""
    now = now or timezone.now()
    refusal: QuizRefusal
    with transaction.atomic():
        _lock_learner(learner)
        attempts = Attempt.objects.filter(quiz=quiz, learner=learner)
        current = attempts.filter(status=Attempt.Status.OPEN).first()
        if current is not None:
            if not attempt_is_overdue(current, now):
                return current, False
            _expire(current, now)
        tally = attempts.aggregate(used=Count("pk"), last=Max("number"))
        used = tally["used"]
        if quiz.max_attempts and used >= quiz.max_attempts:
            refusal = NoAttemptsLeft(
                _("本测验最多可作答 %(n)d 次，您已全部用完。") % {"n": quiz.max_attempts}
            )
        else:
            entries = list(
                quiz.playable_entries()
                .select_related("question")
                .prefetch_related("question__choices")
                .order_by("sort_order", "pk")
            )
            if entries:
                seed = secrets.randbelow(2**31)
                layout = layout_build(quiz, entries, seed)
                limit = quiz.time_limit_minutes
                attempt = Attempt.objects.create(
                    quiz=quiz,
                    learner=learner,
                    number=(tally["last"] or 0) + 1,
                    seed=seed,
                    layout=layout,
                    started_at=now,
                    expires_at=now + timedelta(minutes=limit) if limit else None,
                    max_points=sum(entry["points"] for entry in layout),
                )
                return attempt, True
            refusal = QuizNotReady(_("本测验还没有题目。"))
    raise refusal


@dataclass
class Outcome:
    """What a submission produced, for the answer to the learner."""

    attempt: Attempt
    results: list[dict]
    completed_lesson: bool


def _parse_id(value, what) -> int:
    if isinstance(value, bool):
        raise AnswersInvalid(_("%(what)s必须是整数。") % {"what": what})
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise AnswersInvalid(_("%(what)s必须是整数：%(value)r。") % {"what": what, "value": value})


def answers_parse(raw, layout: list[dict], questions: dict[int, Question]) -> dict[int, list[int]]:
    """Check a submitted ``{"question id": [choice id, ...]}`` against the attempt; return it as
    ints (each list sorted, without repeats). Unanswered questions may be left out."""
    if not isinstance(raw, dict):
        raise AnswersInvalid(_('answers 必须是对象：{"题目id": [选项id, ...]}。'))
    in_attempt = {entry["question"] for entry in layout}
    parsed: dict[int, list[int]] = {}
    for key, value in raw.items():
        question_id = _parse_id(key, _("题目id"))
        if question_id not in in_attempt or question_id not in questions:
            raise AnswersInvalid(_("题目 %(question)d 不在本次测验中。") % {"question": question_id})
        if not isinstance(value, list):
            raise AnswersInvalid(
                _("题目 %(question)d 的答案必须是选项id的列表。") % {"question": question_id}
            )
        question = questions[question_id]
        valid = {choice.pk for choice in question.choices.all()}
        chosen = sorted({_parse_id(item, _("选项id")) for item in value})
        stray = [choice_id for choice_id in chosen if choice_id not in valid]
        if stray:
            raise AnswersInvalid(
                _("选项 %(choice)d 不属于题目 %(question)d。") % {"choice": stray[0], "question": question_id}
            )
        if question.kind != QuestionKind.MULTIPLE and len(chosen) > 1:
            raise AnswersInvalid(_("题目 %(question)d 只能选一个答案。") % {"question": question_id})
        parsed[question_id] = chosen
    return parsed


def answers_score(layout: list[dict], questions: dict[int, Question], answers: dict[int, list[int]]):
    """(points, max_points, results): a question scores its points only if exactly its correct
    choices were chosen (all-or-nothing for multiple choice). Questions deleted from the bank
    since the start are left out of both totals."""
    points = max_points = 0
    results = []
    for entry in layout:
        question = questions.get(entry["question"])
        if question is None:
            continue
        correct_ids = sorted(choice.pk for choice in question.choices.all() if choice.is_correct)
        chosen = answers.get(question.pk, [])
        is_correct = bool(chosen) and chosen == correct_ids
        max_points += entry["points"]
        points += entry["points"] if is_correct else 0
        results.append(
            {
                "question": question.pk,
                "kind": question.kind,
                "selected": chosen,
                "correct_choices": correct_ids,
                "correct": is_correct,
                "points": entry["points"],
                "earned": entry["points"] if is_correct else 0,
                "explanation": question.explanation,
            }
        )
    return points, max_points, results


def attempt_submit(
    *, learner: Learner, attempt_id: int, answers, channel: str = Channel.PC, now=None
) -> Outcome:
    """Score the learner's open attempt and close it; complete the quiz's lesson if it passed.
    Raises ``AttemptNotFound`` (not the learner's), ``AttemptClosed`` (already submitted),
    ``AttemptExpired`` (too late: closed with score 0, which stays), ``AnswersInvalid``."""
    now = now or timezone.now()
    if channel not in Channel.values:
        raise AnswersInvalid(_("channel 必须是 pc、app 或 wechat。"))
    with transaction.atomic():
        _lock_learner(learner)
        attempt = Attempt.objects.select_for_update().filter(pk=attempt_id, learner=learner).first()
        if attempt is None:
            raise AttemptNotFound(_("没有这次测验记录。"))
        if attempt.status != Attempt.Status.OPEN:
            raise AttemptClosed(_("本次测验已经交卷。"), attempt)
        overdue = attempt_is_overdue(attempt, now)
        if overdue:
            _expire(attempt, now)
        else:
            quiz = Quiz.objects.select_related("lesson").get(pk=attempt.quiz_id)
            attempt.quiz = quiz
            questions = {
                question.pk: question
                for question in Question.objects.filter(pk__in=attempt.question_ids).prefetch_related(
                    "choices"
                )
            }
            parsed = answers_parse(answers, attempt.layout, questions)
            points, max_points, results = answers_score(attempt.layout, questions, parsed)
            attempt.answers = {str(question_id): chosen for question_id, chosen in parsed.items()}
            attempt.points = points
            attempt.max_points = max_points
            attempt.score = round(100 * points / max_points, 2) if max_points else 0
            # Compared in integers, so 3 of 5 points passes a 60 % mark whatever the rounding.
            attempt.passed = max_points > 0 and points * 100 >= quiz.pass_mark * max_points
            attempt.status = Attempt.Status.SUBMITTED
            attempt.submitted_at = now
            attempt.channel = channel
            attempt.save()
            completed = False
            if attempt.passed and quiz.lesson is not None:
                completed = lesson_content_complete(
                    learner=learner, lesson=quiz.lesson, channel=channel, now=now
                )
    if overdue:
        raise AttemptExpired(_("答题时间已到，本次测验已结束，记0分。"), attempt)
    return Outcome(attempt=attempt, results=results, completed_lesson=completed)
