"""Progress API: the events endpoint and the progress reads, shared by PC, app and WeChat."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.shapes import DetailSerializer
from courses.models import CoursePage, Lesson
from learners.models import Learner
from progress import serializers as ps
from progress.metrics import batch_events_count
from progress.selectors import (
    course_progress_data,
    learner_keys,
    learner_lesson_progress,
    lesson_progress_data,
)
from progress.services import Origin, attention_record, events_record, grant_issue


class PayloadTooLarge(ValidationError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


def learner_of(user) -> Learner:
    learner = getattr(user, "learner", None)
    if learner is None:
        raise PermissionDenied(_("只有注册学员有学习进度。"))
    return learner


def enrolled_lesson(learner: Learner, lesson_id: int) -> Lesson:
    """The lesson, if the learner is enrolled in its course: 404 for no such lesson, 403 if not
    enrolled (the one look-up of every progress endpoint that names a lesson)."""
    lesson = Lesson.objects.filter(pk=lesson_id).first()
    if lesson is None:
        raise NotFound(_("没有这个课时。"))
    if not learner.enrollments.filter(course_id=lesson.course_id).exists():
        raise PermissionDenied(_("未报名此课程。"))
    return lesson


def learner_keys_of(request) -> Learner:
    """The requesting learner with only its keys loaded (``progress.selectors.learner_keys``)."""
    learner = learner_keys(request.user, getattr(request.auth, "learner_pk", None))
    if learner is None:
        raise PermissionDenied(_("只有注册学员有学习进度。"))
    return learner


class ProgressEventsView(APIView):
    """Record a batch of learning events (1 to 500). Each event is answered on its own."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ps.ProgressEventsRequestSerializer,
        responses={200: ps.ProgressEventsResponseSerializer, 400: DetailSerializer, 413: DetailSerializer},
    )
    def post(self, request):
        learner = learner_keys_of(request)
        body = request.data
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            raise ValidationError({"detail": _('请求体必须是 {"events": [...]}。')})
        if not events:
            raise ValidationError({"detail": _("这一批没有事件，请发送 1 至 500 个。")})
        limit = settings.PROGRESS["MAX_BATCH"]
        if len(events) > limit:
            raise PayloadTooLarge(
                {
                    "detail": _("一批最多 %(limit)d 个事件，这一批有 %(count)d 个，请分批发送。")
                    % {"limit": limit, "count": len(events)}
                }
            )
        origin = Origin(
            ip=request.META.get("REMOTE_ADDR"), user_agent=request.META.get("HTTP_USER_AGENT", "")
        )
        outcome = events_record(learner=learner, raw_events=events, origin=origin)
        batch_events_count(events, outcome.results)
        return Response(
            {
                "results": outcome.results,
                "progress": [
                    lesson_progress_data(None, p, duration=outcome.durations[p.lesson_id])
                    for p in outcome.progress
                ],
            }
        )


class LessonProgressView(APIView):
    """The learner's progress in one lesson: resume position, credited seconds, completion."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ps.LessonProgressSerializer, 403: DetailSerializer, 404: DetailSerializer})
    def get(self, request, lesson_id: int):
        learner = learner_of(request.user)
        lesson = enrolled_lesson(learner, lesson_id)
        progress = learner_lesson_progress(learner, lesson)
        return Response(lesson_progress_data(lesson, progress))


class CourseProgressView(APIView):
    """The learner's progress in a course, with every lesson's progress."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ps.CourseProgressSerializer, 403: DetailSerializer, 404: DetailSerializer})
    def get(self, request, course_id: int):
        learner = learner_of(request.user)
        course = CoursePage.objects.filter(pk=course_id).first()
        if course is None:
            raise NotFound(_("没有这门课程。"))
        if not learner.enrollments.filter(course=course).exists():
            raise PermissionDenied(_("未报名此课程。"))
        return Response(course_progress_data(learner, course))


class AttentionCheckView(APIView):
    """Log the outcome of an attention check (防挂机点名) the player showed: ``passed`` or
    ``missed``. It credits nothing; a miss leaves the player paused."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ps.AttentionRequestSerializer,
        responses={
            201: ps.AttentionResultSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    def post(self, request):
        learner = learner_of(request.user)
        serializer = ps.AttentionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lesson = enrolled_lesson(learner, data["lesson"])
        event = attention_record(
            learner=learner,
            lesson=lesson,
            session=data["session"],
            channel=data["channel"],
            outcome=data["outcome"],
            at=data["at"],
            position=data.get("position"),
            origin=Origin(
                ip=request.META.get("REMOTE_ADDR"), user_agent=request.META.get("HTTP_USER_AGENT", "")
            ),
        )
        return Response({"id": event.pk, "outcome": event.reason}, status=status.HTTP_201_CREATED)


class GrantView(APIView):
    """Issue a grant for a lesson (rule 9): a backlog of this lesson's events, studied after
    now and sent later, is credited when its events name the grant. Ask when a lesson is opened
    and when its media is kept for offline study."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ps.GrantRequestSerializer,
        responses={
            201: ps.GrantSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    def post(self, request):
        learner = learner_of(request.user)
        body = ps.GrantRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lesson = enrolled_lesson(learner, body.validated_data["lesson"])
        grant = grant_issue(learner=learner, lesson=lesson)
        return Response(
            {
                "grant": grant.token,
                "lesson": lesson.pk,
                "issued_at": grant.issued_at.isoformat(),
                "expires_at": grant.expires_at.isoformat(),
            },
            status=status.HTTP_201_CREATED,
        )
