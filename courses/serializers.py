"""Serializers of the published courses' endpoints (``courses.api``)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.shapes import OccupationField
from courses.covers import cover_rendition
from courses.models import CoursePage, Lesson, LessonKind


class CourseListSerializer(serializers.ModelSerializer):
    occupation = OccupationField(read_only=True)
    level_name = serializers.CharField(source="get_level_display", read_only=True)
    hours = serializers.FloatField(source="required_hours", read_only=True)
    url = serializers.SerializerMethodField()
    cover = serializers.SerializerMethodField()

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
            "cover",
        ]
        # The schema keeps ``level`` a plain reference to its enum, as before its model field
        # got a (Chinese) verbose name: a title would wrap it in allOf.
        extra_kwargs = {"level": {"label": None}}

    def get_url(self, course) -> str:
        return course.get_url(request=self.context.get("request"))

    def get_cover(self, course) -> str | None:
        """The course's cover image, 640×360 (a 16:9 crop), as the course cards show it; null
        when the course has none."""
        rendition = cover_rendition(course, "card")
        return rendition.url if rendition else None


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
