"""The API kit's one endpoint: the token login (the app's door; the web signs in with a session).
Every other endpoint is its app's (``<app>/api.py``)."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.shapes import DetailSerializer
from api.tokens import token_issue

# Named exception (.importlinter): a failed token login answers as the web login does (locked,
# or the guard unavailable), through the one login guard of the people side.
from learners import login_guard


class TokenLoginView(APIView):
    """App login: username and password for a token. Locks a username after repeated failures."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={
            200: s.TokenSerializer,
            400: DetailSerializer,
            429: DetailSerializer,
            503: DetailSerializer,
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
                {"detail": _("用户名或密码错误。")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"token": token_issue(user)})
