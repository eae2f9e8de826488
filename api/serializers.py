from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.shapes import DetailSerializer, OccupationField  # noqa: F401  (DetailSerializer: used as s.DetailSerializer)
from courses.models import CoursePage, Lesson, LessonKind
from learners.models import Enrollment, Learner, VerificationStatus


class CourseListSerializer(serializers.ModelSerializer):
    occupation = OccupationField(read_only=True)
    level_name = serializers.CharField(source="get_level_display", read_only=True)
    hours = serializers.FloatField(source="required_hours", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = CoursePage
        fields = [
            "id",
            "title",
            "occupation",
            "level",
            "level_name",
            "industry",
            "hours",
            "open_enrolment",
            "summary",
            "url",
        ]

    def get_url(self, course) -> str:
        return course.get_url(request=self.context.get("request"))


class LessonSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    media_url = serializers.SerializerMethodField()
    launch_url = serializers.SerializerMethodField()

    class Meta:
        model = Lesson
        fields = [
            "id",
            "chapter",
            "title",
            "kind",
            "duration",
            "pages",
            "required",
            "url",
            "media_url",
            "launch_url",
        ]

    def get_url(self, lesson) -> str:
        course_url = self.context["course_url"]
        return course_url + self.context["course"].reverse_subpage("lesson", args=[lesson.pk])

    def get_media_url(self, lesson) -> str | None:
        """The file a player streams; a SCORM package is launched, never downloaded."""
        if not lesson.media or lesson.kind == LessonKind.SCORM:
            return None
        return lesson.media.url

    def get_launch_url(self, lesson) -> str | None:
        """For a SCORM lesson: the page that runs the package with a SCORM runtime."""
        return reverse("scorm:launch", args=[lesson.pk]) if lesson.kind == LessonKind.SCORM else None


class CourseTeacherSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()


class CourseMaterialSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    publisher = serializers.CharField()
    isbn = serializers.CharField()
    provincial_quality = serializers.BooleanField()


class CourseDetailSerializer(CourseListSerializer):
    lessons = serializers.SerializerMethodField()
    teachers = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    certificate_type_name = serializers.CharField(source="get_certificate_type_display", read_only=True)

    class Meta(CourseListSerializer.Meta):
        fields = CourseListSerializer.Meta.fields + [
            "certificate_type",
            "certificate_type_name",
            "subsidy_eligible",
            "teachers",
            "materials",
            "lessons",
        ]

    @extend_schema_field(CourseTeacherSerializer(many=True))
    def get_teachers(self, course) -> list[dict]:
        """Approved teachers only: one suspended after publication drops out at once."""
        return CourseTeacherSerializer(course.approved_teachers, many=True).data

    @extend_schema_field(CourseMaterialSerializer(many=True))
    def get_materials(self, course) -> list[dict]:
        return CourseMaterialSerializer(course.live_materials, many=True).data

    def get_lessons(self, course) -> list[dict]:
        context = {**self.context, "course": course, "course_url": self.get_url(course)}
        return LessonSerializer(course.lessons.all(), many=True, context=context).data


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


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
