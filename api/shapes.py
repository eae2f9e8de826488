"""Response shapes every app's API shares: the error body of every 4xx (contract: a ``detail``
a person can act on) and an occupation. Part of the API kit: imports no app, so any app's
``api.py`` may use it (docs/architecture.md)."""

from rest_framework import serializers


class OccupationField(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
