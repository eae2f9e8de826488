"""The logs an auditor reads: reveals of personal data and the progress-event evidence log."""

import datetime as dt

from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated

from learners.models import RevealLog
from progress.models import ProgressEvent


class CanReadLogs(BasePermission):
    message = "只有审计人员可以查看日志。Only auditors read the logs."

    def has_permission(self, request, view):
        from institutions.roles import can_read_logs

        return can_read_logs(request.user)


class RevealLogSerializer(serializers.ModelSerializer):
    viewer = serializers.CharField(source="viewer.username")
    learner_name = serializers.CharField(source="learner.real_name")
    learner_id_number = serializers.CharField(source="learner.masked_id_number")

    class Meta:
        model = RevealLog
        fields = [
            "id",
            "at",
            "viewer",
            "learner",
            "learner_name",
            "learner_id_number",
            "field",
            "reason",
            "ip",
        ]


class ProgressEventLogSerializer(serializers.ModelSerializer):
    # In UTC: a rejected event keeps the client's time as sent, whatever its year, and before
    # 1901 Asia/Shanghai's historical offset (+08:05:43) is no valid RFC 3339 time.
    client_at = serializers.DateTimeField(default_timezone=dt.UTC, read_only=True, allow_null=True)
    received_at = serializers.DateTimeField(default_timezone=dt.UTC, read_only=True)

    class Meta:
        model = ProgressEvent
        fields = [
            "id",
            "event_id",
            "learner",
            "lesson_ref",
            "session",
            "channel",
            "type",
            "position",
            "from_position",
            "rate",
            "client_at",
            "received_at",
            "status",
            "reason",
            "segment",
            "credited_seconds",
            "ip",
            "user_agent",
        ]


def _int_param(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError({"detail": f"{name} must be a whole number."})
    return int(raw)


class RevealLogView(generics.ListAPIView):
    """Who saw whose full ID number or phone, when and why (newest first). Auditors only."""

    permission_classes = [IsAuthenticated, CanReadLogs]
    serializer_class = RevealLogSerializer

    def get_queryset(self):
        logs = RevealLog.objects.select_related("viewer", "learner").order_by("-at", "-id")
        learner = _int_param(self.request, "learner")
        return logs.filter(learner_id=learner) if learner is not None else logs


class ProgressEventLogView(generics.ListAPIView):
    """Every progress event received, accepted or rejected, with its evidence. Auditors only;
    filter with ``learner`` and ``lesson``."""

    permission_classes = [IsAuthenticated, CanReadLogs]
    serializer_class = ProgressEventLogSerializer

    def get_queryset(self):
        events = ProgressEvent.objects.order_by("-received_at", "-id")
        learner = _int_param(self.request, "learner")
        lesson = _int_param(self.request, "lesson")
        if learner is not None:
            events = events.filter(learner_id=learner)
        if lesson is not None:
            events = events.filter(lesson_ref=lesson)
        return events
