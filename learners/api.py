"""Learners API: real-name registration, self-enrolment (选单) and the learner's own profile."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.shapes import DetailSerializer
from api.tokens import token_issue
from courses.selectors import published_courses
from learners import registration_guard
from learners import serializers as s
from learners.forms import RegistrationForm
from learners.services import EnrollmentRefused, enrollment_create, learner_register

RegisterRequest = inline_serializer(
    "RegisterRequest",
    {
        "username": serializers.CharField(),
        "password": serializers.CharField(),
        "real_name": serializers.CharField(),
        "id_number": serializers.CharField(help_text="18 characters, GB 11643 check digit"),
        "phone": serializers.CharField(),
        "district": serializers.CharField(help_text="one of Zibo's 11 districts, e.g. 张店区"),
        "target_group": serializers.CharField(help_text="e.g. enterprise-employee"),
        "employer": serializers.CharField(required=False),
        "education": serializers.CharField(required=False),
    },
)


def form_errors(form) -> dict:
    """A form's errors in the API's shape: ``detail`` names the first field, ``errors`` all."""
    errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}
    field, messages = next(iter(errors.items()))
    return {"detail": f"{field}: {messages[0]}", "errors": errors}


class RegisterView(APIView):
    """Real-name registration (app and web): one person, one account."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=RegisterRequest,
        responses={
            201: OpenApiResponse(
                s.MeSerializer, description="The new learner's profile (ID masked) and a token"
            ),
            400: DetailSerializer,
            429: DetailSerializer,
            503: DetailSerializer,
        },
    )
    def post(self, request):
        try:
            registration_guard.registration_check(request)
        except registration_guard.RegistrationRefused as refusal:
            return Response({"detail": refusal.message}, status=refusal.status)
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": _("请求体必须是 JSON 对象。")})
        form = RegistrationForm(data=request.data)
        if not form.is_valid():
            if form.has_error("id_number", "duplicate"):
                try:
                    registration_guard.duplicate_id_answer_check(request)
                except registration_guard.RegistrationRefused as refusal:
                    return Response({"detail": refusal.message}, status=refusal.status)
            return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
        try:
            learner = learner_register(**form.cleaned_data)
        except DjangoValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            return Response({"detail": f"{field}: {messages[0]}", "errors": error.message_dict}, status=400)
        body = s.MeSerializer(learner.user).data
        body["token"] = token_issue(learner.user)
        return Response(body, status=status.HTTP_201_CREATED)


class EnrollView(APIView):
    """Self-enrolment (选单) in a course open to it: 201 new, 200 already enrolled."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            201: s.EnrollmentSerializer,
            200: s.EnrollmentSerializer,
            403: OpenApiResponse(DetailSerializer, description="Not a learner, or course not open"),
            404: DetailSerializer,
        },
    )
    def post(self, request, course_id: int):
        learner = getattr(request.user, "learner", None)
        if learner is None:
            raise PermissionDenied(_("只有注册学员可以选课。"))
        course = published_courses().filter(pk=course_id).first()
        if course is None:
            raise NotFound(_("没有这门课程。"))
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
