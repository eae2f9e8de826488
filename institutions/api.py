"""Institutions API: the learner's assignments; classes for staff, district officials and the
bureau; adding members and assignments; identity verification; the reveal of a learner's ID
number or phone, and the logs an auditor reads. Who may do what is decided by
``institutions.roles``; objects outside a user's scope are 404s (they need not know of them)."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from api.shapes import DetailSerializer
from common.text import enumeration
from courses.models import CoursePage, Lesson
from institutions import roles, selectors, services
from institutions import serializers as s
from institutions.models import Assignment
from institutions.permissions import CanReadLogs, IsClassReader, IsLearner
from learners import services as learner_services
from learners.models import Learner
from learners.selectors import reveal_logs
from progress.selectors import event_log
from teachers.selectors import approved_teachers


def _django_errors(error: DjangoValidationError) -> ValidationError:
    """A service's ValidationError as DRF's; Django's "__all__" is DRF's "non_field_errors",
    whose first message becomes the ``detail`` as it is (api.exceptions)."""
    if not hasattr(error, "error_dict"):
        return ValidationError({api_settings.NON_FIELD_ERRORS_KEY: error.messages})
    return ValidationError(
        {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    )


class MyAssignmentsView(generics.ListAPIView):
    """The modules assigned to the learner's classes, soonest due first, with their progress."""

    permission_classes = [IsAuthenticated, IsLearner]
    serializer_class = s.MyAssignmentSerializer

    def get_queryset(self):
        return selectors.learner_assignments(self.request.user.learner)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        progress = selectors.assignments_progress(request.user.learner, page)
        context = {**self.get_serializer_context(), "progress": progress}
        return self.get_paginated_response(s.MyAssignmentSerializer(page, many=True, context=context).data)


def _class_fields(data: dict) -> dict:
    """The validated body of a class create or edit, with the course and teachers looked up:
    a course that is not published, or a teacher not approved in the pool, is a 400."""
    fields = dict(data)
    if "course" in fields:
        course = CoursePage.objects.live().filter(pk=fields["course"]).first()
        if course is None:
            raise ValidationError({"course": _("没有这门已发布的课程。")})
        fields["course"] = course
    wanted = [pk for pk in [fields.get("teacher"), *fields.get("teachers", [])] if pk is not None]
    found = {teacher.pk: teacher for teacher in approved_teachers().filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        field = "teacher" if fields.get("teacher") in missing else "teachers"
        raise ValidationError(
            {
                field: _("只能选择师资库中审核通过的教师（编号 %(ids)s 不是）。")
                % {"ids": enumeration(missing)}
            }
        )
    if "teacher" in fields:
        fields["teacher"] = found.get(fields["teacher"])
    if "teachers" in fields:
        fields["teachers"] = [found[pk] for pk in fields["teachers"]]
        if "teacher" in fields and fields["teacher"] is not None:
            fields["teachers"] = [fields["teacher"], *fields["teachers"]]
    return fields


def _class_detail_response(request, class_id: int, status_code: int = status.HTTP_200_OK) -> Response:
    """The class as GET /classes/{id}/ shows it: with its member count, assignments (with course
    and lessons), teachers, and members with their progress."""
    training_class = (
        selectors.classes_for(request.user)
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("course").prefetch_related("lessons"),
            )
        )
        .filter(pk=class_id)
        .first()
    )
    if training_class is None:
        raise NotFound(_("没有这个班级。"))
    context = {
        "request": request,
        "members": selectors.class_members_progress(training_class),
        "teachers": selectors.class_teachers(training_class),
        "can_manage": roles.can_manage_class(request.user, training_class),
    }
    return Response(s.ClassDetailSerializer(training_class, context=context).data, status=status_code)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("institution", int, description="institution id"),
            OpenApiParameter("course", int, description="course id"),
            OpenApiParameter("district", str, description="district, e.g. 张店区"),
        ]
    )
)
class ClassListView(generics.ListAPIView):
    """Classes the user may read: staff their institution's, officials their district's, the bureau
    all. Staff create classes here, for their own institution."""

    permission_classes = [IsAuthenticated, IsClassReader]
    serializer_class = s.ClassListSerializer

    def get_queryset(self):
        classes = selectors.classes_for(self.request.user)
        params = self.request.query_params
        for name, field in (("institution", "institution_id"), ("course", "course_id")):
            value = params.get(name)
            if value:
                if not (value.isascii() and value.isdigit()) or int(value) > s.MAX_ID:
                    raise ValidationError({name: _("请填写编号。")})
                classes = classes.filter(**{field: int(value)})
        if params.get("district"):
            classes = classes.filter(district=params["district"])
        return classes.order_by("-starts_on", "id")

    @extend_schema(
        request=s.ClassWriteSerializer,
        responses={201: s.ClassDetailSerializer, 400: DetailSerializer, 403: DetailSerializer},
    )
    def post(self, request):
        """Create a class for the staff member's own institution (institution staff only)."""
        institution = selectors.staff_institution(request.user)
        if institution is None:
            raise PermissionDenied(_("只有培训机构工作人员可以新建班级。"))
        body = s.ClassWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            training_class = services.class_create(
                institution=institution, **_class_fields(body.validated_data)
            )
        except DjangoValidationError as error:
            raise _django_errors(error) from None
        return _class_detail_response(request, training_class.pk, status.HTTP_201_CREATED)


class ClassDetailView(APIView):
    """One class with its members (ID and phone masked) and their progress, its assignments and
    teachers; staff of its institution edit it (PATCH: only the fields sent change)."""

    permission_classes = [IsAuthenticated, IsClassReader]

    @extend_schema(responses={200: s.ClassDetailSerializer, 403: DetailSerializer, 404: DetailSerializer})
    def get(self, request, class_id: int):
        return _class_detail_response(request, class_id)

    @extend_schema(
        request=s.ClassWriteSerializer(partial=True),
        responses={
            200: s.ClassDetailSerializer,
            400: DetailSerializer,
            403: OpenApiResponse(DetailSerializer, description="May read the class but not edit it"),
            404: DetailSerializer,
        },
    )
    def patch(self, request, class_id: int):
        training_class = selectors.class_managed_by(request.user, class_id)
        body = s.ClassWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        try:
            services.class_update(training_class=training_class, data=_class_fields(body.validated_data))
        except DjangoValidationError as error:
            raise _django_errors(error) from None
        return _class_detail_response(request, class_id)


class ClassMembersView(APIView):
    """Add a learner to a class (staff of its institution): 201, or 200 if already a member; a
    400 when the class is full (its capacity, 班额)."""

    permission_classes = [IsAuthenticated, IsClassReader]

    @extend_schema(
        request=s.MemberAddSerializer,
        responses={
            201: s.MembershipSerializer,
            200: s.MembershipSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    def post(self, request, class_id: int):
        training_class = selectors.class_managed_by(request.user, class_id)
        body = s.MemberAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        learner = Learner.objects.filter(pk=body.validated_data["learner"]).first()
        if learner is None:
            raise ValidationError({"learner": _("没有这个学员。")})
        try:
            membership, created = services.class_member_add(training_class=training_class, learner=learner)
        except DjangoValidationError as error:  # services.ClassFull: the class is full
            raise _django_errors(error) from None
        return Response(
            s.MembershipSerializer(membership).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ClassAssignmentsView(APIView):
    """Assign a published course (or some of its lessons) to a class (staff of its institution)."""

    permission_classes = [IsAuthenticated, IsClassReader]

    @extend_schema(
        request=s.AssignmentCreateSerializer,
        responses={
            201: s.AssignmentSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    def post(self, request, class_id: int):
        training_class = selectors.class_managed_by(request.user, class_id)
        body = s.AssignmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        course = CoursePage.objects.live().filter(pk=data["course"]).first()
        if course is None:
            raise ValidationError({"course": _("没有这门已发布的课程。")})
        lessons = list(Lesson.objects.filter(pk__in=data["lessons"]))
        if len(lessons) != len(set(data["lessons"])) or any(
            lesson.course_id != course.pk for lesson in lessons
        ):
            raise ValidationError({"lessons": _("所选课时不属于这门课程。")})
        try:
            assignment = services.assignment_create(
                training_class=training_class,
                course=course,
                lessons=lessons,
                opens_at=data["opens_at"],
                due_at=data["due_at"],
                note=data["note"],
                created_by=request.user,
            )
        except DjangoValidationError as error:
            raise _django_errors(error) from None
        return Response(s.AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class LearnerVerifyView(APIView):
    """Staff of an institution whose class the learner is in confirm the learner's identity
    against their ID card."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.VerifySerializer,
        responses={
            200: s.VerifiedSerializer,
            403: OpenApiResponse(DetailSerializer, description="May read the learner but not verify"),
            404: DetailSerializer,
        },
    )
    def post(self, request, learner_id: int):
        learner = roles.learners_visible_to(request.user).filter(pk=learner_id).first()
        if learner is None:
            raise NotFound(_("没有这个学员。"))
        if not roles.can_verify_identity(request.user, learner):
            raise PermissionDenied(_("只有学员所在班级的培训机构工作人员可以核验身份。"))
        body = s.VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        learner_services.learner_verify(
            learner=learner, verified_by=request.user, method="staff", note=body.validated_data["note"]
        )
        learner.refresh_from_db()
        return Response({"learner": learner.pk, "verified": learner.verified})


class RevealView(APIView):
    """The full ID number or phone of a learner, for a role that needs it; logged."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=inline_serializer(
            "RevealRequest",
            {"field": serializers.ChoiceField(["id_number", "phone"]), "reason": serializers.CharField()},
        ),
        responses={
            200: inline_serializer(
                "Reveal", {"field": serializers.CharField(), "value": serializers.CharField()}
            ),
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    def post(self, request, learner_id: int):
        learner = Learner.objects.filter(pk=learner_id).first()
        if learner is None:
            raise NotFound(_("没有这个学员。"))
        data = request.data if isinstance(request.data, dict) else {}
        field = str(data.get("field", ""))
        try:
            value = learner_services.learner_reveal(
                viewer=request.user,
                learner=learner,
                field=field,
                reason=str(data.get("reason", "")),
                permitted=roles.can_reveal_personal_data(request.user, learner),
                ip=request.META.get("REMOTE_ADDR"),
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return Response({"field": field, "value": value})


# --- The logs an auditor reads ---------------------------------------------------------------


def _int_param(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError({"detail": _("%(name)s 须为整数。") % {"name": name}})
    return int(raw)


class RevealLogView(generics.ListAPIView):
    """Who saw whose full ID number or phone, when and why (newest first). Auditors only."""

    permission_classes = [IsAuthenticated, CanReadLogs]
    serializer_class = s.RevealLogSerializer

    def get_queryset(self):
        return reveal_logs(learner_id=_int_param(self.request, "learner"))


class ProgressEventLogView(generics.ListAPIView):
    """Every progress event received, accepted or rejected, with its evidence. Auditors only;
    filter with ``learner`` and ``lesson``."""

    permission_classes = [IsAuthenticated, CanReadLogs]
    serializer_class = s.ProgressEventLogSerializer

    def get_queryset(self):
        return event_log(
            learner_id=_int_param(self.request, "learner"), lesson_id=_int_param(self.request, "lesson")
        )
