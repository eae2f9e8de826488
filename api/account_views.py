"""Real-name registration and the reveal of a learner's personal data."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers import DetailSerializer, MeSerializer
from api.tokens import token_issue
from learners import registration_guard
from learners.forms import RegistrationForm
from learners.models import Learner
from learners.services import learner_register, learner_reveal

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
                MeSerializer, description="The new learner's profile (ID masked) and a token"
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
            raise ValidationError({"detail": "The body must be a JSON object."})
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
        body = MeSerializer(learner.user).data
        body["token"] = token_issue(learner.user)
        return Response(body, status=status.HTTP_201_CREATED)


class RevealView(APIView):
    """The full ID number or phone of a learner, for a role that needs it; logged."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=inline_serializer(
            "RevealRequest",
            {"field": serializers.ChoiceField(["id_number", "phone"]), "reason": serializers.CharField()},
        ),
        responses={
            200: inline_serializer(
                "Reveal", {"field": serializers.CharField(), "value": serializers.CharField()}
            ),
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    def post(self, request, learner_id: int):
        learner = Learner.objects.filter(pk=learner_id).first()
        if learner is None:
            raise NotFound("没有这个学员。No such learner.")
        data = request.data if isinstance(request.data, dict) else {}
        field = str(data.get("field", ""))
        try:
            value = learner_reveal(
                viewer=request.user,
                learner=learner,
                field=field,
                reason=str(data.get("reason", "")),
                ip=request.META.get("REMOTE_ADDR"),
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return Response({"field": field, "value": value})
