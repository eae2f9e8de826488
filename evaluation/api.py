"""Evaluation API.

- ``GET/POST /api/v1/me/ratings/``: the learner's ratings; rate a completed course with
  ``{"course": id, "stars": 1-5, "comment": ""}`` (201 new, 200 changed within the edit window;
  403 when the course is not in their archive; 400 naming the field; 409 ``rating_final`` after
  the window).
- ``GET /api/v1/evaluation/scorecards/?year=&district=``: the year's scorecards of the
  institutions the user reads (bureau and auditors all, a district official their district's,
  staff their own), flagged first, paginated.

Who may do what: ``evaluation.permissions``.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.shapes import DetailSerializer
from common.text import ascii_int, enumeration
from evaluation import permissions, selectors, services
from evaluation import serializers as s
from evaluation.forms import YEARS
from institutions import roles
from vocabulary.people import District

ERRORS = {400: DetailSerializer, 401: DetailSerializer, 403: DetailSerializer}


class MyRatingsView(generics.ListCreateAPIView):
    """The learner's ratings, newest first; POST rates a completed course (or changes the
    rating within the edit window)."""

    permission_classes = [IsAuthenticated, permissions.IsLearner]
    serializer_class = s.RatingSerializer

    def get_queryset(self):
        return selectors.learner_ratings(roles.scope_of(self.request.user).learner_id)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        for rating in page if page is not None else []:
            rating.editable = selectors.rating_editable(rating)
        return page

    @extend_schema(
        responses={200: s.RatingSerializer(many=True), 401: DetailSerializer, 403: DetailSerializer}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.RatingCreateSerializer,
        responses={
            201: s.RatingSerializer,
            200: s.RatingSerializer,
            409: s.RatingRefusalSerializer,
            **ERRORS,
        },
    )
    def post(self, request, *args, **kwargs):
        body = s.RatingCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        learner_id = roles.scope_of(request.user).learner_id
        try:
            rating, created = services.rating_submit(
                learner_id=learner_id,
                course_id=body.validated_data["course"],
                stars=body.validated_data["stars"],
                comment=body.validated_data.get("comment", ""),
            )
        except services.NotCompleted as refused:
            raise PermissionDenied(refused.detail) from None
        except services.RatingInvalid as error:
            raise ValidationError({error.field: [error.detail]}) from None
        except services.RatingFinal as refused:
            return Response({"detail": refused.detail, "code": refused.code}, status=status.HTTP_409_CONFLICT)
        rating = selectors.learner_ratings(learner_id).get(pk=rating.pk)
        rating.editable = selectors.rating_editable(rating)
        return Response(
            s.RatingSerializer(rating).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


def _year(request) -> int:
    value = request.query_params.get("year", "")
    if not value:
        return selectors.current_year()
    year = ascii_int(value)
    if year is None or not YEARS[0] <= year <= YEARS[1]:
        raise ValidationError({"year": [_("年度应为四位数字，例如 2026。")]})
    return year


def _district(request) -> str:
    value = request.query_params.get("district", "")
    if value and value not in District.values:
        raise ValidationError(
            {"district": [_("区县应为 %(choices)s 之一。") % {"choices": enumeration(District.values)}]}
        )
    return value


class ScorecardListView(generics.ListAPIView):
    """The year's scorecards (this year in China's time by default) of the institutions the user
    reads, flagged first, then by name."""

    permission_classes = [IsAuthenticated, permissions.CanReadScorecards]
    serializer_class = s.ScorecardSerializer

    def get_queryset(self):
        year, district = _year(self.request), _district(self.request)
        institutions = permissions.institutions_visible_to(self.request.user)
        if district:
            institutions = institutions.filter(district=district)
        return selectors.scorecards(institutions, year)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "year", int, description="the calendar year (China's time); this year by default"
            ),
            OpenApiParameter("district", str, enum=District.values),
        ],
        responses={200: s.ScorecardSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
