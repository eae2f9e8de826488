"""``GET /api/v1/me/archive/``: the learner's training archive."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from api.shapes import DetailSerializer
from archive import selectors
from archive.serializers import ArchiveEntrySerializer
from institutions.permissions import IsLearner


class MyArchiveView(generics.ListAPIView):
    """The learner's completed trainings, newest first, each with its certificate when issued."""

    permission_classes = [IsAuthenticated, IsLearner]
    serializer_class = ArchiveEntrySerializer

    @extend_schema(responses={200: ArchiveEntrySerializer(many=True), 403: DetailSerializer})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.learner_archive(self.request.user.learner)
