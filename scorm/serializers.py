"""Serializers describing the SCORM runtime API in the OpenAPI schema (views build plain dicts)."""

from rest_framework import serializers

from api.shapes import DetailSerializer  # noqa: F401  (re-exported for the views' schema)
from progress.models import Channel


class ScoreSerializer(serializers.Serializer):
    raw = serializers.FloatField(allow_null=True)
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    scaled = serializers.FloatField(allow_null=True, help_text="SCORM 2004 only; null for 1.2.")


class ScormStateSerializer(serializers.Serializer):
    lesson = serializers.IntegerField()
    version = serializers.ChoiceField(choices=["1.2", "2004"])
    cmi = serializers.JSONField(help_text="The CMI data as last committed (scorm-again's JSON format).")
    lesson_status = serializers.CharField(help_text="SCORM 1.2 cmi.core.lesson_status; empty for 2004.")
    completion_status = serializers.CharField(help_text="SCORM 2004 cmi.completion_status; empty for 1.2.")
    success_status = serializers.CharField(help_text="SCORM 2004 cmi.success_status; empty for 1.2.")
    score = ScoreSerializer(allow_null=True)
    suspend_data = serializers.CharField(allow_blank=True)
    completed = serializers.BooleanField(help_text="The status has said completed/passed at least once.")
    completed_at = serializers.DateTimeField(allow_null=True)
    last_channel = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class ScormCommitSerializer(serializers.Serializer):
    cmi = serializers.JSONField(help_text='The runtime\'s CMI object, e.g. {"core": {"lesson_status": ...}}.')
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default=Channel.PC)
