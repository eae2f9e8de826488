"""Serializers of the progress endpoints (``progress.api``). Those of the events only document
the schema: input is validated event by event in ``progress.events`` (a bad event is rejected on
its own, not the whole batch), whose ``EVENT_FIELDS`` the event's schema is built from. The
attention check's request serializer validates its body."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from progress.events import EVENT_FIELDS, EventField
from progress.models import AttentionOutcome, Channel, RejectReason


def _schema_field(field: EventField) -> serializers.Field:
    """The schema of one event field, from its one description (``progress.events``)."""
    options = {"required": field.required}
    if field.help:
        options["help_text"] = field.help
    if not field.required and field.default is not None:
        options["default"] = field.default
    if field.kind == "choice":
        return serializers.ChoiceField(field.choices, **options)
    if field.kind == "string":
        return serializers.CharField(max_length=field.max_length, allow_null=field.nullable, **options)
    kinds = {
        "uuid": serializers.UUIDField,
        "integer": serializers.IntegerField,
        "number": serializers.FloatField,
        "datetime": serializers.DateTimeField,
    }
    return kinds[field.kind](**options)


# EVENT in the OpenAPI schema, built from the description the engine parses events with: the
# schema cannot say something the engine does not enforce. ("from" is a Python keyword, hence
# the class is made with type().)
ProgressEventSerializer = type(
    "ProgressEventSerializer",
    (serializers.Serializer,),
    {field.name: _schema_field(field) for field in EVENT_FIELDS},
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


class AttentionRequestSerializer(serializers.Serializer):
    lesson = serializers.IntegerField()
    session = serializers.UUIDField(help_text="the playback session the check interrupted")
    # A plain string in the schema: a third "channel" enum would collide in the enum naming.
    channel = serializers.CharField(help_text="pc, app or wechat")
    outcome = serializers.ChoiceField(AttentionOutcome.values)
    at = serializers.DateTimeField(help_text="client time the check began, ISO 8601 with a time zone")
    position = serializers.FloatField(required=False, min_value=0, help_text="media position, seconds")

    def validate_channel(self, value):
        if value not in Channel.values:
            raise ValidationError(_("渠道须为 pc、app 或 wechat。"))
        return value

    def validate_at(self, value):
        now = timezone.now()
        limits = settings.PROGRESS
        if (value - now).total_seconds() > limits["CLOCK_AHEAD_SECONDS"]:
            raise ValidationError(_("时间晚于服务器时间。"))
        if (now - value).total_seconds() > limits["OFFLINE_WINDOW_SECONDS"]:
            raise ValidationError(_("时间过早。"))
        return value


class AttentionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="the evidence-log row")
    outcome = serializers.ChoiceField(AttentionOutcome.values)
