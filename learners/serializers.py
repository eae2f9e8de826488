"""Serializers of the learner's own endpoints (``learners.api``): the profile and enrolments."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from learners.models import Enrollment, Learner, VerificationStatus


class EnrollmentSerializer(serializers.ModelSerializer):
    course_title = serializers.CharField(source="course.title", read_only=True)

    class Meta:
        model = Enrollment
        fields = ["course", "course_title", "enrolled_at", "completed_at"]


class MeSerializer(serializers.Serializer):
    """The signed-in user's own profile; personal data masked."""

    username = serializers.CharField()
    real_name = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    district = serializers.SerializerMethodField()
    target_group = serializers.SerializerMethodField()
    verified = serializers.SerializerMethodField()
    verification_status = serializers.SerializerMethodField(
        help_text="the real-name check: pending, verified, rejected or unavailable; a certificate "
        "is issued only once verified"
    )
    enrollments = serializers.SerializerMethodField()

    def _learner(self, user) -> Learner | None:
        return getattr(user, "learner", None)

    def get_real_name(self, user) -> str | None:
        learner = self._learner(user)
        return learner.real_name if learner else None

    def get_id_number(self, user) -> str | None:
        learner = self._learner(user)
        return learner.masked_id_number if learner else None

    def get_phone(self, user) -> str | None:
        learner = self._learner(user)
        return learner.masked_phone if learner else None

    def get_district(self, user) -> str | None:
        learner = self._learner(user)
        return learner.district if learner else None

    def get_target_group(self, user) -> str | None:
        learner = self._learner(user)
        return learner.target_group if learner else None

    def get_verified(self, user) -> bool:
        learner = self._learner(user)
        return bool(learner and learner.verified)

    @extend_schema_field(serializers.ChoiceField(choices=VerificationStatus.choices, allow_null=True))
    def get_verification_status(self, user) -> str | None:
        learner = self._learner(user)
        return learner.verification_status if learner else None

    def get_enrollments(self, user) -> list[dict]:
        learner = self._learner(user)
        if learner is None:
            return []
        enrollments = learner.enrollments.select_related("course").order_by("-enrolled_at")
        return EnrollmentSerializer(enrollments, many=True).data
