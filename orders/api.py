"""选单 API (contract: "Training demand", compatible extensions).

- ``GET /api/v1/me/open-classes/``: the offers' classes the worker may enrol in, paginated,
  those answering their own demand first (``answers_demand``), then those serving their district
  and target group; full classes are left out unless the worker is in them.
- ``POST /api/v1/me/open-classes/{id}/enroll/``: enrol (class membership and the class's course):
  201, or 200 when already in the class; 403 with the reason when the class is not open to them;
  404 for a class that is not an offer's open class; 409 ``{detail, code: "class_full"}``.

Learners only (``orders.permissions.IsLearnerChoosing``): 403 for other roles, 401 anonymous.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.shapes import DetailSerializer
from orders import selectors, services
from orders import serializers as s
from orders.permissions import IsLearnerChoosing

ERRORS = {401: DetailSerializer, 403: DetailSerializer}


class OpenClassesView(generics.ListAPIView):
    """可报名班级: the training offers' classes open to the worker."""

    permission_classes = [IsAuthenticated, IsLearnerChoosing]
    serializer_class = s.OpenClassSerializer

    def get_queryset(self):
        return selectors.open_classes_for(self.request.user.learner)

    @extend_schema(responses={200: s.OpenClassSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OpenClassEnrollView(APIView):
    """Enrol in an offer's class: 201 new, 200 already in it."""

    permission_classes = [IsAuthenticated, IsLearnerChoosing]

    @extend_schema(
        request=None,
        responses={
            201: s.ClassEnrolmentSerializer,
            200: s.ClassEnrolmentSerializer,
            404: DetailSerializer,
            409: s.EnrolRefusalSerializer,
            **ERRORS,
        },
    )
    def post(self, request, class_id: int):
        application = selectors.offer_class(class_id)
        if application is None:
            raise NotFound(_("没有这个可报名的班级。"))
        try:
            membership, created = services.class_enrol(learner=request.user.learner, application=application)
        except services.ClassFull as full:
            return Response({"detail": full.detail, "code": full.code}, status=status.HTTP_409_CONFLICT)
        except services.OrderRefused as refused:
            raise PermissionDenied(refused.detail) from None
        return Response(
            s.ClassEnrolmentSerializer(membership).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
