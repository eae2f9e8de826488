"""The archive's endpoints: ``GET /api/v1/me/archive/`` (the learner's training archive),
``GET /api/v1/archive/head/`` (the log's signed head, public) and ``/.well-known/jwks.json``
(the platform's public signing keys, public; wired in config/urls.py)."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from api.shapes import DetailSerializer
from archive import selectors, signing
from archive.serializers import ArchiveEntrySerializer, ArchiveHeadSerializer
from institutions.permissions import IsLearner
from learners.login_guard import client_address


class MyArchiveView(generics.ListAPIView):
    """The learner's completed trainings, newest first, each with its certificate when issued,
    its place in the archive log (``seq``) and its chain ``hash``; values as corrected."""

    permission_classes = [IsAuthenticated, IsLearner]
    serializer_class = ArchiveEntrySerializer

    @extend_schema(responses={200: ArchiveEntrySerializer(many=True), 403: DetailSerializer})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.learner_archive(self.request.user.learner)

    def paginate_queryset(self, queryset):
        return selectors.corrections_apply(super().paginate_queryset(queryset))


class HeadThrottle(SimpleRateThrottle):
    """Per client address; ``ARCHIVE_HEAD_RATE`` (default 120/min). The head is public and
    cheap: with the cache down, requests are let through rather than refused."""

    scope = "archive-head"

    def get_rate(self):
        return getattr(settings, "ARCHIVE_HEAD_RATE", "120/min")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request) or "unknown"}

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 — the cache backend's connection errors
            return True


class ArchiveHeadView(APIView):
    """The archive log's current head, signed with the platform's Ed25519 key: public, no login.
    Check ``jws`` with the key named by its ``kid`` in ``/.well-known/jwks.json``; its payload is
    exactly ``{"size", "hash", "signed_at"}`` with the values shown."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [HeadThrottle]

    @extend_schema(responses={200: ArchiveHeadSerializer})
    def get(self, request):
        head = selectors.archive_head()
        response = Response(ArchiveHeadSerializer(head).data)
        response["Cache-Control"] = f"public, max-age={selectors.HEAD_CACHE_SECONDS}"
        return response


@require_GET
def jwks(request):
    """``/.well-known/jwks.json``: the platform's public signing keys (JWK Set, Ed25519), the
    retired ones too, so that what they signed still verifies."""
    response = JsonResponse(signing.jwks())
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
