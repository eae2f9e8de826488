"""Subsidy claims API (contract: "Subsidy claims (补贴申领)"), and the review steps.

- ``GET/POST /api/v1/me/subsidy-claims/``: the learner's claims; claim one training with
  ``{"archive_entry": id}`` (201; 409 ``{detail, code}`` when a rule refuses; 404 for an entry
  that is not the learner's own).
- ``POST /api/v1/classes/{id}/subsidy-claims/``: institution staff claim for every member of
  their class who completed its course.
- ``GET /api/v1/subsidy-claims/`` (``?status=``, ``?year=``) and ``/subsidy-claims/{id}/``: the
  claims the user may read, the detail with the evidence, cross-check, re-check and history.
- ``POST /api/v1/subsidy-claims/{id}/district-decision/`` and ``/bureau-decision/``
  (``{"approve": bool, "reason": ""}``), ``/payment/`` (``{"reference": ""}``).

Who may do what: ``subsidies.permissions``. A role that may never take a step gets a 403 first;
a claim outside the user's reach is a 404.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ErrorDetail, NotFound, PermissionDenied, Throttled, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.shapes import DetailSerializer
from audit.models import AuditAction
from audit.services import audit_record
from common.text import ascii_int
from institutions import roles
from institutions import selectors as institution_selectors
from institutions.permissions import IsClassReader, IsLearner
from subsidies import claim_limits, permissions, selectors, services
from subsidies import serializers as s
from subsidies.models import ClaimStatus
from subsidies.rules import ClaimRefused

ERRORS = {400: DetailSerializer, 401: DetailSerializer, 403: DetailSerializer, 404: DetailSerializer}


def _conflict(code: str, detail: str) -> Response:
    return Response({"detail": detail, "code": code}, status=status.HTTP_409_CONFLICT)


class _ClaimRateLimited:
    """Claims made (POST) count against ``subsidies.claim_limits``: past it a 429 with the wait
    in ``Retry-After`` and in ``detail``."""

    throttle_classes = claim_limits.THROTTLES

    def throttled(self, request, wait):
        wait = max(1, int(wait or 1))
        refusal = Throttled(wait)  # DRF's handler adds Retry-After
        refusal.detail = ErrorDetail(claim_limits.refusal_message(wait), code=refusal.default_code)
        raise refusal


class MyClaimsView(_ClaimRateLimited, generics.ListCreateAPIView):
    """The learner's subsidy claims, newest first; POST claims one completed, certified training."""

    permission_classes = [IsAuthenticated, IsLearner]
    serializer_class = s.MyClaimSerializer

    def get_queryset(self):
        return selectors.learner_claims(roles.scope_of(self.request.user).learner_id)

    @extend_schema(
        responses={200: s.MyClaimSerializer(many=True), 401: DetailSerializer, 403: DetailSerializer}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.ClaimCreateSerializer,
        responses={201: s.MyClaimSerializer, 409: s.RefusalSerializer, 429: DetailSerializer, **ERRORS},
    )
    def post(self, request, *args, **kwargs):
        body = s.ClaimCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        learner_id = roles.scope_of(request.user).learner_id
        try:
            claim = services.claim_submit(
                learner_id=learner_id, entry_id=body.validated_data["archive_entry"], user=request.user
            )
        except services.EntryNotFound:
            raise NotFound(_("您的培训档案中没有这条记录。")) from None
        except ClaimRefused as refused:
            return _conflict(refused.code, refused.detail)
        claim = selectors.learner_claims(learner_id).get(pk=claim.pk)
        return Response(s.MyClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


class ClassBulkClaimView(_ClaimRateLimited, APIView):
    """Claim for every member of the class who completed its course (the class's institution's
    staff); each member's outcome: claimed, or the rule that refused it."""

    permission_classes = [IsAuthenticated, IsClassReader]

    @extend_schema(request=None, responses={200: s.BulkResultSerializer, 429: DetailSerializer, **ERRORS})
    def post(self, request, class_id: int):
        training_class = institution_selectors.visible_class(request.user, class_id)
        if training_class is None:
            raise NotFound(_("没有这个班级。"))
        if not permissions.can_bulk_claim(request.user, training_class):
            raise PermissionDenied(_("只有本机构工作人员可以为班级申领补贴。"))
        outcomes = services.claims_bulk_submit_for_class(training_class=training_class, user=request.user)
        claimed = sum(1 for outcome in outcomes if outcome.claim is not None)
        data = {"claimed": claimed, "refused": len(outcomes) - claimed, "results": outcomes}
        return Response(s.BulkResultSerializer(data).data)


def _status_filter(request) -> str:
    value = request.query_params.get("status", "")
    if value and value not in ClaimStatus.values:
        raise ValidationError(
            {"status": [_("状态应为 %(choices)s 之一。") % {"choices": ", ".join(ClaimStatus.values)}]}
        )
    return value


def _year_filter(request) -> int | None:
    value = request.query_params.get("year", "")
    if not value:
        return None
    year = ascii_int(value)
    if year is None or not 2000 <= year <= 2100:
        raise ValidationError({"year": [_("年度应为四位数字，例如 2026。")]})
    return year


class ClaimListView(generics.ListAPIView):
    """The claims the user may read, oldest first (a queue): district officials their
    district's, staff their classes', the bureau and auditors all."""

    permission_classes = [IsAuthenticated, permissions.CanReadClaims]
    serializer_class = s.ClaimSerializer

    def get_queryset(self):
        claims = selectors.claims_listed(permissions.claims_visible_to(self.request.user))
        if wanted := _status_filter(self.request):
            claims = claims.filter(status=wanted)
        if (year := _year_filter(self.request)) is not None:
            claims = claims.filter(completion_year=year)
        return claims

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ClaimStatus.values),
            OpenApiParameter("year", int, description="the completion year"),
        ],
        responses={200: s.ClaimSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _claim_in_reach(request, claim_id: int):
    claim = selectors.claim_for_review(permissions.claims_visible_to(request.user), claim_id)
    if claim is None:
        raise NotFound(_("没有这份补贴申领。"))
    return claim


class ClaimDetailView(APIView):
    """A claim with the learner's training, evidence summary, insurance cross-check (reviewers
    and auditors), the rules' re-check and the claim's history."""

    permission_classes = [IsAuthenticated, permissions.CanReadClaims]

    @extend_schema(responses={200: s.ClaimReviewSerializer, **ERRORS})
    def get(self, request, claim_id: int):
        claim = _claim_in_reach(request, claim_id)
        context = selectors.claim_review_context(
            claim, with_insurance=permissions.can_see_insurance_check(request.user)
        )
        return Response(s.ClaimReviewSerializer(context).data)


class _StepView(APIView):
    """POST a review step: the body checked, the service called, its refusals answered."""

    body_serializer = s.DecisionSerializer
    error_field = "reason"
    refused_message = ""
    audit_step = ""  # the step's name in the audit trail: district, bureau, payment

    def allowed(self, user, claim) -> bool:
        return True

    def act(self, claim, user, data):
        raise NotImplementedError

    def audit_detail(self, data) -> dict:
        """What the audit trail keeps of the step: a decision and its reason."""
        return {"decision": "approve" if data["approve"] else "reject", "reason": data["reason"]}

    def post(self, request, claim_id: int):
        claim = _claim_in_reach(request, claim_id)
        if not self.allowed(request.user, claim):
            raise PermissionDenied(self.refused_message)
        body = self.body_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            done = self.act(claim, request.user, body.validated_data)
        except ValueError as error:
            raise ValidationError({self.error_field: [str(error)]}) from None
        except services.ClaimStateError as error:
            return _conflict(error.code, error.detail)
        except ClaimRefused as refused:
            return _conflict(refused.code, refused.detail)
        audit_record(
            request,
            action=AuditAction.DECISION,
            subject="subsidies.claims",
            object_id=claim.pk,
            detail={"step": self.audit_step, **self.audit_detail(body.validated_data), "status": done.status},
        )
        claim = selectors.claims_listed(permissions.claims_visible_to(request.user)).get(pk=claim.pk)
        return Response(s.ClaimSerializer(claim).data)


STEP_RESPONSES = {200: s.ClaimSerializer, 409: s.RefusalSerializer, **ERRORS}


class DistrictDecisionView(_StepView):
    """The district official of the claimant's district approves (the rules checked again) or
    rejects with a reason."""

    permission_classes = [IsAuthenticated, permissions.IsDistrictOfficial]
    refused_message = gettext_lazy("只有学员所在区县的人社工作人员可以审核这份申领。")
    audit_step = "district"

    def allowed(self, user, claim) -> bool:
        return permissions.can_district_decide(user, claim)

    def act(self, claim, user, data):
        return services.claim_district_decide(
            claim_id=claim.pk, user=user, approve=data["approve"], reason=data["reason"]
        )

    @extend_schema(request=s.DecisionSerializer, responses=STEP_RESPONSES)
    def post(self, request, claim_id: int):
        return super().post(request, claim_id)


class BureauDecisionView(_StepView):
    """The bureau approves a claim the district approved (the rules checked again) or rejects it."""

    permission_classes = [IsAuthenticated, permissions.IsBureau]
    audit_step = "bureau"

    def act(self, claim, user, data):
        return services.claim_bureau_decide(
            claim_id=claim.pk, user=user, approve=data["approve"], reason=data["reason"]
        )

    @extend_schema(request=s.DecisionSerializer, responses=STEP_RESPONSES)
    def post(self, request, claim_id: int):
        return super().post(request, claim_id)


class PaymentView(_StepView):
    """The bureau records the payment of an approved claim with its payment reference."""

    permission_classes = [IsAuthenticated, permissions.IsBureau]
    body_serializer = s.PaymentSerializer
    error_field = "reference"
    audit_step = "payment"

    def act(self, claim, user, data):
        return services.claim_mark_paid(claim_id=claim.pk, user=user, reference=data["reference"])

    def audit_detail(self, data) -> dict:
        return {"reference": data["reference"].strip()}

    @extend_schema(request=s.PaymentSerializer, responses=STEP_RESPONSES)
    def post(self, request, claim_id: int):
        return super().post(request, claim_id)
