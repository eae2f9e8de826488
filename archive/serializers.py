from django.urls import reverse
from rest_framework import serializers

from archive.models import ArchiveEntry, Certificate


class ArchiveOccupationSerializer(serializers.Serializer):
    code = serializers.CharField(source="occupation_code")
    name = serializers.CharField(source="occupation_name")


class ArchiveCertificateSerializer(serializers.ModelSerializer):
    type_name = serializers.CharField(source="get_type_display")
    verify_url = serializers.SerializerMethodField(help_text="public page confirming the certificate")

    class Meta:
        model = Certificate
        fields = ["number", "type", "type_name", "issued_at", "verify_url"]

    def get_verify_url(self, certificate) -> str:
        path = reverse("certificate-verify", args=[certificate.number])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ArchiveEntrySerializer(serializers.ModelSerializer):
    course = serializers.IntegerField(source="course_id")
    occupation = ArchiveOccupationSerializer(source="*")
    level_name = serializers.CharField(source="get_level_display")
    hours = serializers.FloatField(source="required_hours", help_text="the course's required study hours")
    certificate = serializers.SerializerMethodField()

    class Meta:
        model = ArchiveEntry
        fields = [
            "id",
            "course",
            "course_title",
            "occupation",
            "level",
            "level_name",
            "hours",
            "credited_seconds",
            "completed_at",
            "certificate",
        ]

    def get_certificate(self, entry) -> ArchiveCertificateSerializer(allow_null=True):  # type: ignore[valid-type]
        certificate = getattr(entry, "certificate", None)
        return ArchiveCertificateSerializer(certificate, context=self.context).data if certificate else None
