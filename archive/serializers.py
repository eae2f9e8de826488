from django.urls import reverse
from rest_framework import serializers

from archive import chain
from archive.models import ArchiveEntry, Certificate, ExternalCertificate


class ArchiveOccupationSerializer(serializers.Serializer):
    code = serializers.CharField(source="occupation_code")
    name = serializers.CharField(source="occupation_name")


def _absolute(serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


def certificate_status(certificate) -> str:
    return "revoked" if certificate.revoked else "valid"


class ArchiveCertificateSerializer(serializers.ModelSerializer):
    type_name = serializers.CharField(source="get_type_display")
    verify_url = serializers.SerializerMethodField(help_text="public page confirming the certificate")
    pdf_url = serializers.SerializerMethodField(
        help_text="the certificate as a PDF, for its holder and staff who may see them (token or session)"
    )
    credential = serializers.CharField(
        help_text="compact JWS (alg EdDSA, kid in /.well-known/jwks.json) of an Open Badges 3.0 "
        "Verifiable Credential; empty for certificates issued before credentials existed"
    )
    status = serializers.SerializerMethodField(help_text="valid or revoked")

    class Meta:
        model = Certificate
        fields = ["number", "type", "type_name", "issued_at", "verify_url", "pdf_url", "credential", "status"]

    def get_verify_url(self, certificate) -> str:
        return _absolute(self, reverse("certificate-verify", args=[certificate.number]))

    def get_pdf_url(self, certificate) -> str:
        return _absolute(self, reverse("api:certificate-pdf", args=[certificate.number]))

    def get_status(self, certificate) -> str:
        return certificate_status(certificate)


class ExternalCertificateSerializer(serializers.ModelSerializer):
    type_name = serializers.CharField(source="get_type_display")

    class Meta:
        model = ExternalCertificate
        fields = ["type", "type_name", "number", "issuer", "issued_on"]


class PublicCertificateSerializer(serializers.Serializer):
    """The JSON twin of the public verification page: the masked name is its only personal data."""

    number = serializers.CharField(source="certificate.number")
    type = serializers.CharField(source="certificate.type")
    type_name = serializers.CharField(source="certificate.get_type_display")
    course = serializers.IntegerField(source="entry.course_id")
    course_title = serializers.CharField(source="entry.course_title")
    occupation = ArchiveOccupationSerializer(source="entry")
    level = serializers.CharField(source="entry.level")
    level_name = serializers.CharField(source="entry.get_level_display")
    hours = serializers.FloatField(source="entry.required_hours")
    holder = serializers.CharField(source="holder_name", help_text="the holder's masked name")
    issued_at = serializers.DateTimeField(source="certificate.issued_at")
    status = serializers.ChoiceField(choices=["valid", "revoked"])
    revoked_at = serializers.DateTimeField(source="revocation.revoked_at", allow_null=True, default=None)
    revocation_reason = serializers.CharField(source="revocation.reason", allow_null=True, default=None)
    credential = serializers.CharField(source="certificate.credential")
    verify_url = serializers.SerializerMethodField()

    def get_verify_url(self, found) -> str:
        return _absolute(self, reverse("certificate-verify", args=[found["certificate"].number]))


class RevocationSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="why the bureau revokes the certificate")


class ArchiveEntrySerializer(serializers.ModelSerializer):
    course = serializers.IntegerField(source="course_id")
    occupation = ArchiveOccupationSerializer(source="*")
    level_name = serializers.CharField(source="get_level_display")
    hours = serializers.FloatField(source="required_hours", help_text="the course's required study hours")
    certificate = serializers.SerializerMethodField()
    seq = serializers.IntegerField(
        source="record_id",
        help_text="the entry's place in the platform's one append-only archive log (1, 2, 3, ...)",
    )
    hash = serializers.CharField(
        source="record.hash",
        help_text="lowercase hex SHA-256 chaining the entry to the one before it: "
        "sha256(prev_hash + canonical), docs/archive.md",
    )
    prev_hash = serializers.CharField(
        source="record.prev_hash",
        help_text="the hash of the log's entry before this one (64 zeros for the first)",
    )
    canonical = serializers.SerializerMethodField(
        help_text="the exact text whose UTF-8 bytes, after prev_hash, hash to hash (canonical JSON)"
    )
    corrected_by = serializers.SerializerMethodField(
        help_text="seqs of the correction entries applied to the values shown, oldest first"
    )
    external_certificates = ExternalCertificateSerializer(
        many=True, read_only=True, help_text="certificates issued elsewhere after this training"
    )

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
            "seq",
            "hash",
            "prev_hash",
            "canonical",
            "corrected_by",
            "external_certificates",
        ]

    def get_certificate(self, entry) -> ArchiveCertificateSerializer(allow_null=True):  # type: ignore[valid-type]
        certificate = getattr(entry, "certificate", None)
        return ArchiveCertificateSerializer(certificate, context=self.context).data if certificate else None

    def get_canonical(self, entry) -> str:
        return chain.record_canonical(entry.record)

    def get_corrected_by(self, entry) -> list[int]:
        return list(getattr(entry, "corrected_by", []))


class ArchiveHeadSerializer(serializers.Serializer):
    size = serializers.IntegerField(help_text="entries in the archive log")
    hash = serializers.CharField(help_text="the last entry's chain hash (64 zeros for an empty log)")
    signed_at = serializers.CharField(help_text="ISO 8601, UTC (…Z), as in the signed payload")
    jws = serializers.CharField(
        help_text='compact JWS (alg EdDSA, kid in /.well-known/jwks.json) over {"size","hash","signed_at"}'
    )
