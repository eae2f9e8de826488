"""Roster import and class dashboard API.

- ``POST /api/v1/classes/{id}/roster/preview/`` (multipart ``file``): parse and check a roster,
  write nothing but the upload; rows come back with ID numbers and phones masked.
- ``POST /api/v1/classes/{id}/roster/{upload_id}/confirm/`` (optional ``checksum`` from the
  preview): import all rows or none.
- ``GET /api/v1/classes/{id}/dashboard/``: each member's progress, behind-first.

Importing is for the class's institution staff; the dashboard also for district officials of its
district, the bureau and auditors. A class outside the user's reach is a 404.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.parsers import SafeJSONParser
from api.shapes import DetailSerializer
from institutions import selectors as institution_selectors
from institutions.permissions import IsClassReader
from rosters.models import RosterUpload
from rosters.parsing import RosterFileError, limits
from rosters.selectors import class_dashboard, upload_preview
from rosters.services import RosterRefused, roster_confirm, roster_preview

# The 403 for a class the user may see but not import into (institution_selectors.class_managed_by).
IMPORT_REFUSAL = gettext_lazy("只有本机构工作人员可以导入学员。")


def read_upload(request) -> tuple[bytes, str]:
    """The uploaded file's bytes and name; a missing file is a 400, a too large one a 413."""
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError({"file": [_("请选择花名册文件。")]})
    max_bytes, _rows, _ratio = limits()
    if upload.size > max_bytes:
        raise RosterFileError(_("文件过大（上限 %(kb)d KB）。") % {"kb": max_bytes // 1024}, 413)
    return upload.read(max_bytes + 1), upload.name or ""


PREVIEW_ROWS = inline_serializer(
    "RosterPreviewRow",
    many=True,
    fields={
        "row": serializers.IntegerField(),
        "name": serializers.CharField(),
        "id_number": serializers.CharField(help_text="masked"),
        "phone": serializers.CharField(help_text="masked"),
        "district": serializers.CharField(),
        "target_group": serializers.CharField(),
        "target_group_display": serializers.CharField(),
        "employer": serializers.CharField(),
        "status": serializers.ChoiceField(choices=["ok", "error"]),
        "errors": serializers.ListField(child=serializers.CharField()),
        "new": serializers.BooleanField(),
        "already_in_class": serializers.BooleanField(),
    },
)
PREVIEW = inline_serializer(
    "RosterPreview",
    {
        "upload_id": serializers.UUIDField(),
        "checksum": serializers.CharField(),
        "expires_at": serializers.DateTimeField(),
        "filename": serializers.CharField(),
        "rows": PREVIEW_ROWS,
        "row_count": serializers.IntegerField(),
        "ok_count": serializers.IntegerField(),
        "error_count": serializers.IntegerField(),
        "new_count": serializers.IntegerField(),
        "already_in_class_count": serializers.IntegerField(),
    },
)
CONFIRM_RESULT = inline_serializer(
    "RosterConfirmResult",
    {
        "created": serializers.IntegerField(),
        "added": serializers.IntegerField(),
        "enrolled": serializers.IntegerField(),
    },
)


class RosterPreviewView(APIView):
    """Check a roster (.xlsx or CSV) row by row; nothing but the upload is written."""

    permission_classes = [IsAuthenticated, IsClassReader]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("RosterFile", {"file": serializers.FileField()})},
        responses={
            201: PREVIEW,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
            413: DetailSerializer,
        },
    )
    def post(self, request, class_id: int):
        training_class = institution_selectors.class_managed_by(
            request.user, class_id, refusal=IMPORT_REFUSAL
        )
        try:
            content, filename = read_upload(request)
            upload = roster_preview(
                training_class=training_class, uploaded_by=request.user, content=content, filename=filename
            )
        except RosterFileError as error:
            return Response({"detail": error.message}, status=error.status)
        return Response(upload_preview(upload), status=status.HTTP_201_CREATED)


class RosterConfirmView(APIView):
    """Import a previewed roster: every row, or none."""

    permission_classes = [IsAuthenticated, IsClassReader]
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=inline_serializer("RosterConfirm", {"checksum": serializers.CharField(required=False)}),
        responses={
            200: CONFIRM_RESULT,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
            409: OpenApiResponse(DetailSerializer, description="changed since the preview; nothing written"),
            410: OpenApiResponse(DetailSerializer, description="the preview expired"),
        },
    )
    def post(self, request, class_id: int, upload_id):
        training_class = institution_selectors.class_managed_by(
            request.user, class_id, refusal=IMPORT_REFUSAL
        )
        upload = RosterUpload.objects.filter(pk=upload_id, training_class=training_class).first()
        if upload is None:
            raise NotFound(_("没有这次上传。"))
        checksum = request.data.get("checksum", "") if hasattr(request.data, "get") else ""
        try:
            result = roster_confirm(upload=upload, user=request.user, checksum=str(checksum or ""))
        except RosterRefused as error:
            return Response({"detail": error.message}, status=error.status)
        return Response(result)


def dashboard_data(dashboard: dict) -> dict:
    training_class = dashboard["training_class"]

    def iso(value):
        return value.isoformat() if value else None

    return {
        "class": {
            "id": training_class.pk,
            "name": training_class.name,
            "institution": training_class.institution.name,
            "course": {"id": training_class.course_id, "title": training_class.course.title},
            "starts_on": training_class.starts_on.isoformat(),
            "ends_on": training_class.ends_on.isoformat(),
        },
        "modules": [
            {
                "title": module.title,
                "opens_at": iso(module.opens_at),
                "due_at": iso(module.due_at),
                "total_lessons": len(module.lessons),
                "required_seconds": module.required_seconds,
            }
            for module in dashboard["modules"]
        ],
        "count": len(dashboard["members"]),
        "behind_count": sum(1 for row in dashboard["members"] if row["behind"]),
        "members": [
            {
                "learner": row["learner_id"],
                "name": row["name"],
                "id_number": row["id_number"],
                "phone": row["phone"],
                "credited_seconds": row["credited_seconds"],
                "required_seconds": row["required_seconds"],
                "completed_lessons": row["completed_lessons"],
                "total_lessons": row["total_lessons"],
                "completion": row["completion"],
                "completed": row["completed"],
                "next_due_at": iso(row["next_due_at"]),
                "overdue": row["overdue"],
                "last_activity": iso(row["last_activity"]),
                "behind": row["behind"],
            }
            for row in dashboard["members"]
        ],
    }


class ClassDashboardView(APIView):
    """Each member's credited hours, lessons done, last activity and behind flag (ID and phone
    masked), behind first."""

    permission_classes = [IsAuthenticated, IsClassReader]

    @extend_schema(
        responses={
            200: OpenApiResponse(description="the class, its modules and its members"),
            403: DetailSerializer,
            404: DetailSerializer,
        }
    )
    def get(self, request, class_id: int):
        training_class = institution_selectors.class_visible_to(request.user, class_id)
        return Response(dashboard_data(class_dashboard(training_class)))
