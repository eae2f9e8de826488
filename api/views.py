"""API v1 views: thin — validate, call a service or selector, serialize."""

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.tokens import token_issue
from courses.models import CoursePage
from courses.selectors import published_course_with_lessons, published_courses
from learners import login_guard
from learners.services import EnrollmentRefused, enrollment_create


class TokenLoginView(APIView):
    """App login: username and password for a token. Locks a username after repeated failures."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={
            200: s.TokenSerializer,
            400: s.DetailSerializer,
            429: s.DetailSerializer,
            503: s.DetailSerializer,
        },
    )
    def post(self, request):
        body = s.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(
            request, username=body.validated_data["username"], password=body.validated_data["password"]
        )
        if user is None:
            refusal = login_guard.refusal_of(request)
            if isinstance(refusal, login_guard.LoginLocked):
                return Response(
                    {"detail": str(refusal)},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(settings.LOGIN_LOCKOUT_SECONDS)},
                )
            if refusal is not None:
                return Response({"detail": str(refusal)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
            return Response(
                {"detail": "用户名或密码错误。Wrong username or password."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"token": token_issue(user)})


class CourseListView(generics.ListAPIView):
    """Published courses."""

    permission_classes = [AllowAny]
    serializer_class = s.CourseListSerializer

    def get_queryset(self):
        courses = published_courses()
        occupation = self.request.query_params.get("occupation")
        if occupation:
            courses = courses.filter(occupation__code=occupation)
        level = self.request.query_params.get("level")
        if level:
            courses = courses.filter(level=level)
        industry = self.request.query_params.get("industry")
        if industry:
            courses = courses.filter(industry=industry)
        return courses


class CourseDetailView(APIView):
    """One published course with its lessons in order."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.CourseDetailSerializer, 404: s.DetailSerializer})
    def get(self, request, course_id: int):
        try:
            course = published_course_with_lessons(course_id)
        except CoursePage.DoesNotExist:
            raise NotFound("没有这门课程。No such published course.") from None
        return Response(s.CourseDetailSerializer(course, context={"request": request}).data)


class EnrollView(APIView):
    """Self-enrolment (选单) in a course open to it: 201 new, 200 already enrolled."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            201: s.EnrollmentSerializer,
            200: s.EnrollmentSerializer,
            403: OpenApiResponse(s.DetailSerializer, description="Not a learner, or course not open"),
            404: s.DetailSerializer,
        },
    )
    def post(self, request, course_id: int):
        learner = getattr(request.user, "learner", None)
        if learner is None:
            raise PermissionDenied("只有注册学员可以选课。Only registered learners can enrol.")
        course = published_courses().filter(pk=course_id).first()
        if course is None:
            raise NotFound("没有这门课程。No such published course.")
        try:
            enrollment, created = enrollment_create(learner=learner, course=course)
        except EnrollmentRefused as refusal:
            raise PermissionDenied(str(refusal)) from None
        return Response(
            s.EnrollmentSerializer(enrollment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MeView(APIView):
    """The signed-in learner's own profile, with ID number and phone masked."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.MeSerializer})
    def get(self, request):
        return Response(s.MeSerializer(request.user).data)
