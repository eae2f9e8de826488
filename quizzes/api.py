"""Quiz API (learners): a lesson's quiz summary, starting an attempt, submitting it.

Rules: an authenticated learner (token or session); a user without a learner profile is a 403;
the learner must be enrolled in the lesson's course (403); an attempt is seen and submitted only
by its owner (anyone else: 404). A lesson's quiz counts only while it is live (published): a
draft or unpublished quiz is a 404 like no quiz at all."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.shapes import DetailSerializer
from courses.models import Lesson
from learners.models import Learner
from quizzes import selectors
from quizzes import serializers as qs
from quizzes.models import Quiz, pass_points
from quizzes.services import (
    AnswersInvalid,
    AttemptClosed,
    AttemptExpired,
    AttemptNotFound,
    NoAttemptsLeft,
    QuizNotReady,
    attempt_start,
    attempt_submit,
)


def learner_of(user) -> Learner:
    learner = getattr(user, "learner", None)
    if learner is None:
        raise PermissionDenied(_("只有注册学员可以参加测验。"))
    return learner


def quiz_for(learner: Learner, lesson_id: int) -> tuple[Lesson, Quiz]:
    lesson = selectors.lesson_with_quiz(lesson_id)
    if lesson is None:
        raise NotFound(_("没有这个课时。"))
    if not selectors.learner_is_enrolled(learner, lesson):
        raise PermissionDenied(_("未报名此课程。"))
    quiz = selectors.quiz_of(lesson)
    if quiz is None:
        raise NotFound(_("本课时没有测验。"))
    return lesson, quiz


class QuizLessonView(APIView):
    """The lesson's quiz for the learner: its rules, attempts used and left, best score, passed."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: qs.QuizSummarySerializer, 403: DetailSerializer, 404: DetailSerializer},
    )
    def get(self, request, lesson_id: int):
        learner = learner_of(request.user)
        _lesson, quiz = quiz_for(learner, lesson_id)
        return Response(selectors.quiz_summary(quiz, learner))


class AttemptStartView(APIView):
    """Start an attempt (201), or get back the unfinished one (200), in its stored order."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            201: qs.AttemptSerializer,
            200: OpenApiResponse(qs.AttemptSerializer, description="The unfinished attempt, unchanged"),
            403: OpenApiResponse(
                DetailSerializer, description="No attempts left, not enrolled, not a learner"
            ),
            404: OpenApiResponse(DetailSerializer, description="No such lesson, no quiz, or no questions"),
        },
    )
    def post(self, request, lesson_id: int):
        learner = learner_of(request.user)
        _lesson, quiz = quiz_for(learner, lesson_id)
        try:
            attempt, created = attempt_start(learner=learner, quiz=quiz)
        except NoAttemptsLeft as refusal:
            raise PermissionDenied(str(refusal)) from None
        except QuizNotReady as refusal:
            raise NotFound(str(refusal)) from None
        used = selectors.attempts_used(quiz, learner)
        return Response(
            selectors.attempt_data(attempt, quiz=quiz, used=used),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AttemptSubmitView(APIView):
    """Submit the answers: scored at once; passing completes the lesson (once)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=qs.SubmitRequestSerializer,
        responses={
            200: qs.SubmitResultSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
            409: OpenApiResponse(
                DetailSerializer, description="Already submitted, or past the time limit (closed with 0)"
            ),
        },
    )
    def post(self, request, attempt_id: int):
        learner = learner_of(request.user)
        body = request.data
        if not isinstance(body, dict) or "answers" not in body:
            raise ValidationError({"detail": _('请求体必须是 {"answers": {...}}。')})
        try:
            outcome = attempt_submit(
                learner=learner,
                attempt_id=attempt_id,
                answers=body["answers"],
                channel=body.get("channel") or "pc",
            )
        except AttemptNotFound as refusal:
            raise NotFound(str(refusal)) from None
        except AnswersInvalid as refusal:
            raise ValidationError({"detail": str(refusal)}) from None
        except AttemptClosed as refusal:
            closed = refusal.attempt
            return Response(
                {
                    "detail": str(refusal),
                    "status": closed.status,
                    "expired": isinstance(refusal, AttemptExpired),
                    "score": float(closed.score) if closed.score is not None else None,
                    "passed": closed.passed,
                },
                status=status.HTTP_409_CONFLICT,
            )
        attempt = outcome.attempt
        used = selectors.attempts_used(attempt.quiz, learner)
        return Response(
            {
                "id": attempt.pk,
                "score": float(attempt.score),
                "passed": attempt.passed,
                "points": attempt.points,
                "max_points": attempt.max_points,
                "pass_mark": attempt.quiz.pass_mark,
                "pass_points": pass_points(attempt.quiz.pass_mark, attempt.max_points),
                "submitted_at": attempt.submitted_at.isoformat(),
                "lesson_completed": outcome.completed_lesson,
                "attempts_used": used,
                "attempts_left": selectors.attempts_left(attempt.quiz, used),
                "results": outcome.results,
            }
        )
