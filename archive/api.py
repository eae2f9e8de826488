"""The archive's endpoints: ``GET /api/v1/me/archive/`` (the learner's training archive),
``GET /api/v1/archive/head/`` (the log's signed head, public), the certificates (the public JSON
twin of the verification page, the PDF for its holder and staff, the bureau's revocation) and
``/.well-known/jwks.json`` (the platform's public signing keys, public; wired in
config/urls.py)."""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from api.shapes import DetailSerializer
from archive import certificates, selectors, signing, tasks
from archive.serializers import (
    ArchiveEntrySerializer,
    ArchiveHeadSerializer,
    PublicCertificateSerializer,
    RevocationSerializer,
)
from audit.models import AuditAction
from audit.services import audit_record
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
    setting, default_rate = "ARCHIVE_HEAD_RATE", "120/min"

    def get_rate(self):
        return getattr(settings, self.setting, self.default_rate)

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


class CertificateLookupThrottle(HeadThrottle):
    """Public JSON lookups per client address (``CERTIFICATE_LOOKUP_RATE``, default 60/min), for
    machines checking certificates. The numbers themselves are the defence against guessing
    (31^8 a year, drawn at random); the HTML page is left to the front proxy's limits."""

    scope = "certificate-lookup"
    setting, default_rate = "CERTIFICATE_LOOKUP_RATE", "60/min"


def _certificate_or_404(number: str):
    certificate = selectors.certificate_find(number)
    if certificate is None:
        raise Http404(_("没有这个证书编号。"))
    return certificate


class PublicCertificateView(APIView):
    """The JSON twin of a certificate's public verification page: public, no login. The holder
    appears by masked name only; ``status`` is ``valid`` or ``revoked``; ``credential`` can be
    checked offline with the key its ``kid`` names in ``/.well-known/jwks.json``. A number
    never issued is a 404."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [CertificateLookupThrottle]

    @extend_schema(responses={200: PublicCertificateSerializer, 404: DetailSerializer})
    def get(self, request, number):
        found = selectors.certificate_public(number)
        if found is None:
            raise Http404(_("没有这个证书编号。"))
        response = Response(PublicCertificateSerializer(found, context={"request": request}).data)
        response["Cache-Control"] = "no-cache"
        response["X-Robots-Tag"] = "noindex"
        return response


class CertificatePdfView(APIView):
    """The certificate as a PDF, for its holder and the staff whose role reaches them (token or
    session); anonymous requests are refused, others get a 403."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the certificate"),
            401: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        }
    )
    def get(self, request, number):
        certificate = _certificate_or_404(number)
        if not selectors.certificate_pdf_allowed(request.user, certificate):
            raise PermissionDenied(_("只有持证人本人和有权查看其档案的工作人员可以下载这份证书。"))
        selectors.corrections_apply([certificate.entry])
        if certificate.entry.learner.user_id != request.user.pk:  # staff's download, not the holder's own
            audit_record(
                request,
                action=AuditAction.EXPORT,
                subject="archive.certificates",
                object_id=certificate.number,
                detail={"format": "pdf"},
            )
        page = request.build_absolute_uri(reverse("certificate-verify", args=[certificate.number]))
        response = HttpResponse(
            tasks.certificate_pdf_bytes(certificate, verify_url=page), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'inline; filename="{certificate.number}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


class CertificateRevokeView(APIView):
    """The bureau revokes a platform certificate with a reason (recorded in the archive log):
    200 with the certificate's public JSON, now ``revoked``. Others get a 403; a certificate
    already revoked or a missing reason is a 400."""

    permission_classes = [IsAuthenticated]  # and the bureau: selectors.may_revoke

    @extend_schema(
        request=RevocationSerializer,
        responses={
            200: PublicCertificateSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    def post(self, request, number):
        if not selectors.may_revoke(request.user):
            raise PermissionDenied(_("只有市人社局可以撤销证书。"))
        certificate = _certificate_or_404(number)
        serializer = RevocationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            certificates.certificate_revoke(
                certificate=certificate, reason=serializer.validated_data["reason"], by=request.user
            )
        except certificates.CertificateRefused as refusal:
            raise ValidationError(str(refusal)) from None
        audit_record(
            request,
            action=AuditAction.DECISION,
            subject="archive.certificates",
            object_id=certificate.number,
            detail={"decision": "revoke", "reason": serializer.validated_data["reason"]},
        )
        found = selectors.certificate_public(certificate.number)
        return Response(PublicCertificateSerializer(found, context={"request": request}).data)
