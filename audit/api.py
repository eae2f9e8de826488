"""The audit trail's endpoint: ``GET /api/v1/audit/actions/`` (操作记录), beside the reveal and
progress-event logs of ``institutions.api`` and read by the same people
(``institutions.roles.can_read_logs``: auditors)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from api.shapes import DetailSerializer
from audit import selectors
from audit.serializers import AuditEntrySerializer, AuditFilterSerializer
from institutions.permissions import CanReadLogs


@extend_schema(
    summary="操作记录 · who viewed, exported or decided what, when and from where",
    parameters=[AuditFilterSerializer],
    responses={
        200: AuditEntrySerializer(many=True),
        400: DetailSerializer,
        401: DetailSerializer,
        403: DetailSerializer,
    },
)
class AuditEntryListView(generics.ListAPIView):
    """Every view of a report with personal data, every export and every decision, newest first,
    filtered by ``action``, ``subject``, ``actor``, ``object_id`` and the days ``since`` and
    ``until`` (China's time, both included). A filter the server cannot read is a 400 naming it."""

    permission_classes = [IsAuthenticated, CanReadLogs]
    serializer_class = AuditEntrySerializer

    def get_queryset(self):
        query = AuditFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.audit_entries(query.filters())
