"""Integrity API (read-only):

- ``GET /api/v1/review-cases/?status=open|decided&district=``: the review cases the user reaches
  (bureau and auditors all, ``district`` filtering; a district official their district's),
  heaviest first, paginated; names and ID numbers masked;
- ``GET /api/v1/dishonesty-records/?kind=person|enterprise|institution&active=true|false``:
  the dishonesty records (bureau and auditors), newest first, paginated.

Who may do what: ``integrity.permissions``. Deciding a case and entering or lifting a record are
done on the pages (``integrity.views``), where each is written to the audit trail.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated

from api.shapes import DetailSerializer
from common.text import enumeration
from integrity import permissions, selectors
from integrity import serializers as s
from integrity.models import CaseStatus, FraudSignal, SubjectKind
from vocabulary.identity import mask_name
from vocabulary.people import District

ERRORS = {400: DetailSerializer, 401: DetailSerializer, 403: DetailSerializer}


def _choice(request, name: str, choices) -> str:
    value = request.query_params.get(name, "")
    if value and value not in choices:
        raise ValidationError(
            {name: [_("%(name)s 应为 %(choices)s 之一。") % {"name": name, "choices": enumeration(choices)}]}
        )
    return value


class ReviewCaseListView(generics.ListAPIView):
    """The review queue: the cases the user reaches, heaviest first, then the oldest."""

    permission_classes = [IsAuthenticated, permissions.CanReview]
    serializer_class = s.ReviewCaseSerializer

    def get_queryset(self):
        status = _choice(self.request, "status", CaseStatus.values)
        district = _choice(self.request, "district", District.values)
        if not permissions.reads_every_district(self.request.user):
            district = ""  # a district official's reach is their district whatever is asked
        return selectors.case_queue(
            permissions.cases_visible_to(self.request.user), status=status, district=district
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        cases = page if page is not None else []
        kinds: dict[int, list[str]] = {}
        signals = FraudSignal.objects.filter(case__in=[case.pk for case in cases]).order_by("kind")
        for case_id, kind in signals.values_list("case_id", "kind").distinct():
            kinds.setdefault(case_id, []).append(kind)
        for case in cases:
            case.signal_kinds = kinds.get(case.pk, [])
            decision = getattr(case, "decision", None) if case.status == CaseStatus.DECIDED else None
            case.decision_kind = decision.kind if decision is not None else None
        return page

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, enum=CaseStatus.values, description="open or decided; both by default"
            ),
            OpenApiParameter(
                "district",
                str,
                enum=District.values,
                description="bureau and auditors only; ignored for a district official",
            ),
        ],
        responses={200: s.ReviewCaseSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _subject(record) -> tuple[int, str]:
    if record.subject_kind == SubjectKind.PERSON:
        return record.learner_id, mask_name(record.learner.real_name)
    if record.subject_kind == SubjectKind.ENTERPRISE:
        return record.enterprise_id, record.enterprise.name
    return record.institution_id, record.institution.name


class DishonestyRecordListView(generics.ListAPIView):
    """The dishonesty records, newest first."""

    permission_classes = [IsAuthenticated, permissions.CanReadRecords]
    serializer_class = s.DishonestyRecordSerializer

    def get_queryset(self):
        kind = _choice(self.request, "kind", SubjectKind.values)
        active = _choice(self.request, "active", ["true", "false"])
        return selectors.records_listed(kind=kind, active={"true": True, "false": False}.get(active))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        today = selectors.today()
        for record in page if page is not None else []:
            record.subject_id, record.subject_name = _subject(record)
            record.state = selectors.record_state(record, today)
            record.active = record.state == "active"
        return page

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=SubjectKind.values),
            OpenApiParameter(
                "active", str, enum=["true", "false"], description="in force today (China's date)"
            ),
        ],
        responses={200: s.DishonestyRecordSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
