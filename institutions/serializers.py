"""Serializers of the institutions API. Personal data only ever leaves here masked."""

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from institutions.models import CLASS_YEARS, MAX_CAPACITY, Assignment, TrainingClass, TrainingMode
from learners.models import RevealLog, VerificationStatus
from progress.models import ProgressEvent

# Ids sent by clients stay within a 64-bit key: a larger number is a 400, never a database error.
MAX_ID = 2**63 - 1

# An assignment opens and is due within these years. A time in year 1 or 9999 is a slip or a probe,
# and one before 1901 cannot even be written back: Asia/Shanghai's offset then is local mean time,
# +08:05:43, which no RFC 3339 date-time (the schema's ``date-time``) can carry.
ASSIGNMENT_YEARS = (2000, 2099)


def assignment_time(value: dt.datetime | None) -> dt.datetime | None:
    first, last = ASSIGNMENT_YEARS
    if value is not None and not first <= value.astimezone(dt.UTC).year <= last:
        raise serializers.ValidationError(
            _("时间须在 %(first)d 年至 %(last)d 年之间。") % {"first": first, "last": last}
        )
    return value


class TranslatedCharField(serializers.CharField):
    """Text stored in the source language (a gettext message, e.g. learners.verification's
    details), answered in the request's; text that is no message (a provider's own) as stored."""

    def to_representation(self, value):
        return _(value) if value else value


class InstitutionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ClassRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    institution = InstitutionRefSerializer()


class AssignmentProgressMixin(serializers.Serializer):
    """Progress fields read from ``context["progress"][assignment.pk]`` (computed in bulk)."""

    credited_seconds = serializers.SerializerMethodField()
    required_seconds = serializers.SerializerMethodField()
    completed_lessons = serializers.SerializerMethodField()
    total_lessons = serializers.SerializerMethodField()
    completed = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    def _progress(self, assignment) -> dict:
        return self.context["progress"][assignment.pk]

    def get_credited_seconds(self, assignment) -> float:
        return self._progress(assignment)["credited_seconds"]

    def get_required_seconds(self, assignment) -> int:
        return self._progress(assignment)["required_seconds"]

    def get_completed_lessons(self, assignment) -> int:
        return self._progress(assignment)["completed_lessons"]

    def get_total_lessons(self, assignment) -> int:
        return self._progress(assignment)["total_lessons"]

    def get_completed(self, assignment) -> bool:
        return self._progress(assignment)["completed"]

    def get_overdue(self, assignment) -> bool:
        return self._progress(assignment)["overdue"]


class AssignmentSerializer(serializers.ModelSerializer):
    """An assignment as a class's staff see it (no learner's progress)."""

    course_title = serializers.CharField(source="course.title", read_only=True)
    lessons = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "course", "course_title", "lessons", "opens_at", "due_at", "note"]

    def get_lessons(self, assignment) -> list[int]:
        """Chosen lesson ids; [] means the whole course."""
        return [lesson.pk for lesson in assignment.lessons.all()]


class MyAssignmentSerializer(AssignmentProgressMixin, AssignmentSerializer):
    """GET /me/assignments/: an assignment of one of the learner's classes, with their progress."""

    # "class" is a Python keyword: the field is put into the class namespace by name.
    locals()["class"] = serializers.SerializerMethodField(method_name="get_class_")
    course_url = serializers.SerializerMethodField()

    class Meta(AssignmentSerializer.Meta):
        fields = [
            *AssignmentSerializer.Meta.fields,
            "class",
            "course_url",
            "credited_seconds",
            "required_seconds",
            "completed_lessons",
            "total_lessons",
            "completed",
            "overdue",
        ]

    @extend_schema_field(ClassRefSerializer)
    def get_class_(self, assignment) -> dict:
        training_class = assignment.training_class
        return {
            "id": training_class.pk,
            "name": training_class.name,
            "institution": {"id": training_class.institution_id, "name": training_class.institution.name},
        }

    def get_course_url(self, assignment) -> str | None:
        return assignment.course.get_url(request=self.context.get("request"))


class OccupationRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CourseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class TeacherRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ClassListSerializer(serializers.ModelSerializer):
    institution = InstitutionRefSerializer(read_only=True)
    course = CourseRefSerializer(read_only=True)
    occupation = OccupationRefSerializer(read_only=True)
    level_name = serializers.CharField(source="get_level_display", read_only=True)
    teacher = TeacherRefSerializer(read_only=True, allow_null=True, help_text="the lead teacher (主讲教师)")
    member_count = serializers.IntegerField(read_only=True)
    capacity = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="班额: the most members; null: no limit"
    )
    mode = serializers.ChoiceField(TrainingMode.choices, read_only=True)
    place = serializers.CharField(read_only=True)

    class Meta:
        model = TrainingClass
        fields = [
            "id",
            "name",
            "institution",
            "course",
            "occupation",
            "level",
            "level_name",
            "teacher",
            "district",
            "starts_on",
            "ends_on",
            "member_count",
            "capacity",
            "mode",
            "place",
        ]


class MemberSerializer(serializers.Serializer):
    """A member of a class (from ``selectors.class_members_progress``); ID and phone masked."""

    learner = serializers.IntegerField(source="learner.pk")
    real_name = serializers.CharField(source="learner.real_name")
    id_number = serializers.CharField(source="learner.masked_id_number")
    phone = serializers.CharField(source="learner.masked_phone")
    district = serializers.CharField(source="learner.district")
    verified = serializers.BooleanField(source="learner.verified")
    verification_status = serializers.ChoiceField(
        source="learner.verification_status",
        choices=VerificationStatus.choices,
        help_text="the real-name check: pending, verified, rejected or unavailable (staff then confirm in person)",
    )
    verification_detail = TranslatedCharField(
        source="learner.verification_detail",
        help_text="why, in words: the platform's own text in the request's language, a provider's as it "
        "came, e.g. 姓名与身份证号不一致",
    )
    joined_at = serializers.DateTimeField()
    credited_seconds = serializers.FloatField()
    required_seconds = serializers.IntegerField()
    completed = serializers.BooleanField()
    last_activity = serializers.DateTimeField(allow_null=True)


class ClassDetailSerializer(ClassListSerializer):
    members = serializers.SerializerMethodField()
    assignments = AssignmentSerializer(many=True, read_only=True)
    can_manage = serializers.SerializerMethodField()
    teachers = serializers.SerializerMethodField()

    class Meta(ClassListSerializer.Meta):
        fields = [*ClassListSerializer.Meta.fields, "teachers", "can_manage", "members", "assignments"]

    @extend_schema_field(TeacherRefSerializer(many=True))
    def get_teachers(self, training_class) -> list[dict]:
        """All the class's teachers, the lead first."""
        return TeacherRefSerializer(self.context["teachers"], many=True).data

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, training_class) -> list[dict]:
        return MemberSerializer(self.context["members"], many=True).data

    def get_can_manage(self, training_class) -> bool:
        return self.context["can_manage"]


def class_date(value: dt.date) -> dt.date:
    first, last = CLASS_YEARS
    if not first <= value.year <= last:
        raise serializers.ValidationError(
            _("日期须在 %(first)d 年至 %(last)d 年之间。") % {"first": first, "last": last}
        )
    return value


class ClassWriteSerializer(serializers.Serializer):
    """A class to create (POST /classes/) or the fields to change (PATCH /classes/{id}/). The
    institution is never sent: it is the staff member's own."""

    name = serializers.CharField(max_length=200)
    course = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="a published course; cannot change once the class has members",
    )
    starts_on = serializers.DateField(validators=[class_date], help_text="years 2000–2099")
    ends_on = serializers.DateField(validators=[class_date], help_text="on or after starts_on")
    capacity = serializers.IntegerField(
        min_value=1,
        max_value=MAX_CAPACITY,
        allow_null=True,
        required=False,
        default=None,
        help_text="班额: the most members, not fewer than the current ones; null: no limit",
    )
    mode = serializers.ChoiceField(TrainingMode.choices, required=False, default=TrainingMode.ONLINE)
    place = serializers.CharField(
        max_length=200,
        allow_blank=True,
        required=False,
        default="",
        help_text="required unless mode is online",
    )
    teacher = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        required=False,
        default=None,
        help_text="the lead teacher (主讲), an approved teacher (GET /teachers/); joins teachers. "
        "Without one, the first of teachers leads.",
    )
    teachers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=50,
        required=False,
        default=list,
        help_text="the class's teachers, approved teachers only (GET /teachers/)",
    )

    def validate(self, attrs):
        starts_on, ends_on = attrs.get("starts_on"), attrs.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            raise serializers.ValidationError(
                {"ends_on": _("结业日期不能早于开班日期，请改为开班日期当天或之后。")}
            )
        return attrs


class MemberAddSerializer(serializers.Serializer):
    learner = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class MembershipSerializer(serializers.Serializer):
    learner = serializers.IntegerField(source="learner.pk")
    real_name = serializers.CharField(source="learner.real_name")
    id_number = serializers.CharField(source="learner.masked_id_number")
    joined_at = serializers.DateTimeField()


class AssignmentCreateSerializer(serializers.Serializer):
    course = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    lessons = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=500,
        required=False,
        default=list,
    )
    opens_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        validators=[assignment_time],
        help_text="默认为现在 now by default; years 2000–2099",
    )
    due_at = serializers.DateTimeField(validators=[assignment_time], help_text="years 2000–2099")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs):
        if attrs.get("opens_at") and attrs["due_at"] <= attrs["opens_at"]:
            raise serializers.ValidationError({"due_at": _("截止时间须晚于开始时间。")})
        return attrs


class VerifySerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class VerifiedSerializer(serializers.Serializer):
    learner = serializers.IntegerField()
    verified = serializers.BooleanField()


# --- The logs an auditor reads ---------------------------------------------------------------


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
