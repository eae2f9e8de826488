"""Schemas of the progress endpoints, for the OpenAPI document. Input is validated event by
event in ``progress.events`` (a bad event is rejected on its own, not the whole batch)."""

from rest_framework import serializers

from progress.models import Channel, EventType, RejectReason


class ProgressEventSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="UUID made by the client; applied at most once")
    session = serializers.UUIDField(help_text="UUID of one playback session")
    lesson = serializers.IntegerField()
    channel = serializers.ChoiceField(Channel.values)
    type = serializers.ChoiceField(EventType.values)
    position = serializers.FloatField(help_text="media position, seconds (after the jump, for seek)")
    # "from" is a Python keyword: declared below.
    rate = serializers.FloatField(required=False, default=1.0)
    at = serializers.DateTimeField(help_text="client time of the event, ISO 8601 with a time zone")
    grant = serializers.CharField(
        required=False,
        max_length=64,
        help_text="a grant for this lesson from POST /api/v1/progress/grants/ (rule 9: needed for a backlog)",
    )


ProgressEventSerializer._declared_fields["from"] = serializers.FloatField(
    required=False, help_text="for seek only: the position before the jump"
)


class ProgressEventsRequestSerializer(serializers.Serializer):
    events = ProgressEventSerializer(many=True, help_text="1 to 500 events")


class EventResultSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(["accepted", "duplicate", "rejected"])
    reason = serializers.ChoiceField(RejectReason.values, required=False)


class LessonProgressSerializer(serializers.Serializer):
    lesson = serializers.IntegerField()
    duration = serializers.IntegerField()
    position = serializers.FloatField()
    credited_seconds = serializers.FloatField()
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    last_channel = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class ProgressEventsResponseSerializer(serializers.Serializer):
    results = EventResultSerializer(many=True)
    progress = LessonProgressSerializer(many=True)


class CourseProgressSerializer(serializers.Serializer):
    course = serializers.IntegerField()
    credited_seconds = serializers.FloatField()
    required_seconds = serializers.IntegerField()
    completed_lessons = serializers.IntegerField()
    total_lessons = serializers.IntegerField()
    required_lessons = serializers.IntegerField()
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    missing_seconds = serializers.FloatField(
        help_text="credited time still needed to reach the required hours (0 once reached)"
    )
    missing_lessons = serializers.IntegerField(help_text="required lessons not completed yet")
    lessons = LessonProgressSerializer(many=True)


class GrantRequestSerializer(serializers.Serializer):
    lesson = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="lesson id")


class GrantSerializer(serializers.Serializer):
    grant = serializers.CharField(help_text="opaque; send it as `grant` in every event of this lesson")
    lesson = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
