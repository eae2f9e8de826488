"""Reports API (contract: "Reports (统一报表)").

``GET /api/v1/reports/training/?year=YYYY[&quarter=1-4][&format=xlsx]``: one row per district
the reader reaches (bureau and auditors every district, a district official their own; anyone
else 403, anonymous 401) with the totals (``reports.selectors.training_report``); with
``format=xlsx`` the same report as an .xlsx workbook, streamed. A missing or wrong year or
quarter is a 400 naming it; an unknown ``format`` a 400 too.

``format`` is also DRF's content-negotiation override: the view lists an xlsx renderer, so
``?format=xlsx`` (or ``Accept:`` the xlsx type) selects it, and the view then answers the
workbook itself. Errors are always JSON, whichever format was asked for.

Every answer is recorded in the audit trail (``reports.training``: year, quarter, districts;
an export as EXPORT, a JSON read as VIEW). The figures carry no personal data, but the trail is
cheap and tells the bureau who read which district's figures.
"""

from django.http import Http404, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from api.shapes import DetailSerializer
from audit.models import AuditAction
from audit.services import audit_record
from common.replica import reading_from_replica
from reports import selectors
from reports.export import XLSX_CONTENT_TYPE, report_filename, training_report_xlsx
from reports.serializers import TrainingReportSerializer, report_data

SUBJECT = "reports.training"
FORMATS = ("json", "xlsx")


class XlsxRenderer(BaseRenderer):
    """Makes ``?format=xlsx`` (and ``Accept:`` the xlsx type) a format DRF negotiates; the view
    answers the workbook itself (streamed), so this renders nothing but bytes handed to it."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


class CanReadReports(BasePermission):
    message = gettext_lazy("统一报表仅供市人社局、审计人员和区县人社部门查看。")

    def has_permission(self, request, view):
        return selectors.report_districts(request.user) is not None


def report_period(query_params) -> selectors.Period:
    """The period a query string asks for; a 400 naming the parameter otherwise."""
    year, quarter = query_params.get("year", ""), query_params.get("quarter", "")
    if not year:
        raise ValidationError({"year": [_("请指定年度，例如 ?year=2026；季度报表再加 &quarter=1 至 4。")]})
    try:
        selectors.period_of(year)
    except selectors.PeriodInvalid as error:
        raise ValidationError({"year": [str(error)]}) from None
    try:
        return selectors.period_of(year, quarter)
    except selectors.PeriodInvalid as error:
        raise ValidationError({"quarter": [str(error)]}) from None


@extend_schema(
    summary="统一报表 · training figures per district for a quarter or a year",
    description="One row per district the reader reaches (bureau and auditors every district, a "
    "district official their own; 403 for anyone else) and the totals. Counted by the dates "
    "things happened (completion, certificate, claim, credited study day) in China's time. "
    "`&format=xlsx` answers the same report as an .xlsx workbook (streamed), with a totals row.",
    parameters=[
        OpenApiParameter("year", OpenApiTypes.INT, required=True, description="2019–2100"),
        OpenApiParameter(
            "quarter", OpenApiTypes.INT, enum=[1, 2, 3, 4], description="1–4; missing: the whole year"
        ),
        OpenApiParameter(
            "format", OpenApiTypes.STR, enum=list(FORMATS), description="xlsx: the report as a workbook"
        ),
    ],
    responses={
        (200, "application/json"): TrainingReportSerializer,
        (200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="the report as .xlsx"),
        (400, "application/json"): DetailSerializer,
        (401, "application/json"): DetailSerializer,
        (403, "application/json"): DetailSerializer,
    },
)
class TrainingReportView(APIView):
    permission_classes = [IsAuthenticated, CanReadReports]
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, XlsxRenderer]

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:  # DRF's answer to a ?format= no renderer has
            raise ValidationError({"format": [_("format 只能是 json 或 xlsx（Excel 文件）。")]}) from None

    def finalize_response(self, request, response, *args, **kwargs):
        # An error is JSON with its ``detail`` even when the workbook was asked for.
        renderer = getattr(request, "accepted_renderer", None)
        if isinstance(response, Response) and isinstance(renderer, XlsxRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        period = report_period(request.query_params)
        districts = selectors.report_districts(request.user)
        with reading_from_replica():
            report = selectors.training_report(period, districts)
        wants_xlsx = isinstance(request.accepted_renderer, XlsxRenderer)
        audit_record(
            request,
            action=AuditAction.EXPORT if wants_xlsx else AuditAction.VIEW,
            subject=SUBJECT,
            detail={
                "year": period.year,
                "quarter": period.quarter,
                "districts": districts,
                "format": "xlsx" if wants_xlsx else "json",
            },
        )
        if wants_xlsx:
            response = StreamingHttpResponse(training_report_xlsx(report), content_type=XLSX_CONTENT_TYPE)
            response["Content-Disposition"] = content_disposition_header(
                True, report_filename(period, districts)
            )
            response["Cache-Control"] = "private, no-store"
            return response
        return Response(report_data(report))
