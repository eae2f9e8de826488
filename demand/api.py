"""Training-demand API (contract: "Training demand (五单式…)").

- ``GET/POST /api/v1/me/training-demands/``: the worker's own demands; state one with
  ``{"occupation": "<code>", "note": "..."}``: 201 with the new demand. An unknown code is a
  400 naming the field (``detail`` "occupation: …"). Stating an occupation for which the worker
  already has an open demand (submitted or listed) answers that demand, unchanged, with 201
  (``demand.services``: a wish stated twice is counted once). Learners only (others 403).
- ``GET /api/v1/training-demands/``: the demands a reader may see (bureau and auditors every
  district, a district official their own; others 403), paginated, newest first, filtered by
  ``?district=``, ``?status=``, ``?occupation=<code>``; ``?group=occupation`` gives one row per
  occupation (``occupation``, ``demands``, ``people``, ``districts``), ``?group=district`` one
  per district (``district``, ``demands``, ``people``, ``occupations``), the most wanted first.

Who may do what: ``demand.permissions``.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.shapes import DetailSerializer
from demand import permissions, selectors, services
from demand import serializers as s
from demand.models import DemandStatus
from institutions import roles
from vocabulary.people import District

ERRORS = {400: DetailSerializer, 401: DetailSerializer, 403: DetailSerializer}


class MyDemandsView(generics.ListCreateAPIView):
    """The worker's training demands, newest first; POST states one (提单)."""

    permission_classes = [IsAuthenticated, permissions.CanSubmitOwn]
    serializer_class = s.MyTrainingDemandSerializer

    def get_queryset(self):
        return selectors.learner_demands(roles.scope_of(self.request.user).learner_id)

    @extend_schema(
        summary="提单 · the worker's own training demands",
        responses={
            200: s.MyTrainingDemandSerializer(many=True),
            401: DetailSerializer,
            403: DetailSerializer,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="提单 · state a wanted training",
        description="201 with the new demand, or with the worker's open demand for that occupation "
        "when there is one (unchanged: a retried request never counts the worker twice, and the "
        "contract's 201 holds for every client); 400 naming the field for an unknown code.",
        request=s.TrainingDemandCreateSerializer,
        responses={201: s.MyTrainingDemandSerializer, **ERRORS},
    )
    def post(self, request, *args, **kwargs):
        body = s.TrainingDemandCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        learner_id = roles.scope_of(request.user).learner_id
        demand, _created = services.demand_submit(
            learner_id=learner_id,
            occupation_id=body.validated_data["occupation"].pk,
            note=body.validated_data["note"],
            user=request.user,
        )
        demand = selectors.learner_demands(learner_id).get(pk=demand.pk)
        return Response(s.MyTrainingDemandSerializer(demand).data, status=status.HTTP_201_CREATED)


def _choices(choices) -> str:
    return ", ".join(f"`{value}` {label}" for value, label in choices)


@extend_schema(
    summary="需求汇总 · the demands in the reader's scope, listed or grouped",
    parameters=[
        OpenApiParameter(
            "group",
            OpenApiTypes.STR,
            enum=list(s.GROUPS),
            description="occupation: one row per occupation; district: one row per district; "
            "missing: the demands themselves",
        ),
        OpenApiParameter("district", OpenApiTypes.STR, enum=District.values),
        OpenApiParameter(
            "status", OpenApiTypes.STR, enum=DemandStatus.values, description=_choices(DemandStatus.choices)
        ),
        OpenApiParameter(
            "occupation", OpenApiTypes.STR, description="职业编码 occupation code, e.g. 4-10-01-05"
        ),
    ],
    responses={
        200: PolymorphicProxySerializer(
            component_name="TrainingDemandRow",
            serializers=[
                s.TrainingDemandSerializer,
                s.DemandByOccupationSerializer,
                s.DemandByDistrictSerializer,
            ],
            resource_type_field_name=None,
            many=True,
        ),
        **ERRORS,
    },
)
class DemandListView(generics.ListAPIView):
    """The demands the reader may see (``demand.permissions.demands_visible_to``), or their
    aggregation by occupation or by district: a constant number of queries per page."""

    permission_classes = [IsAuthenticated, permissions.CanReadDemands]
    serializer_class = s.TrainingDemandSerializer

    def _query(self) -> dict:
        query = s.TrainingDemandQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def _demands(self, query: dict):
        demands = permissions.demands_visible_to(self.request.user)
        if district := query.get("district"):
            demands = demands.filter(district=district)
        if wanted := query.get("status"):
            demands = demands.filter(status=wanted)
        if code := query.get("occupation"):
            demands = demands.filter(occupation__code=code)
        return demands

    def get_queryset(self):
        return selectors.demands_listed(self._demands(self._query()))

    def list(self, request, *args, **kwargs):
        query = self._query()
        demands = self._demands(query)
        group = query.get("group")
        if group == "occupation":
            page = self.paginate_queryset(selectors.by_occupation(demands))
            rows = selectors.with_districts(page, demands)
            return self.get_paginated_response(s.DemandByOccupationSerializer(rows, many=True).data)
        if group == "district":
            page = self.paginate_queryset(selectors.by_district(demands))
            return self.get_paginated_response(s.DemandByDistrictSerializer(page, many=True).data)
        page = self.paginate_queryset(selectors.demands_listed(demands))
        return self.get_paginated_response(s.TrainingDemandSerializer(page, many=True).data)
