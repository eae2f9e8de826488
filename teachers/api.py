"""API v1: the public teacher pool and teaching materials (contract: Catalog).

Anonymous read. Teachers: approved only, and never their phone or certificate numbers.
Materials: live (published) only.
"""

import logging

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.images.exceptions import InvalidFilterSpecError

from api.pagination import StandardPagination
from api.shapes import DetailSerializer, OccupationField
from teachers.models import Material, Teacher, TeacherCertificate
from teachers.selectors import PHOTO_SPEC, public_materials, public_teachers

logger = logging.getLogger(__name__)


class CertificateSerializer(serializers.ModelSerializer):
    """A certificate as shown publicly: no number, no scan (personal data)."""

    class Meta:
        model = TeacherCertificate
        fields = ["name", "level", "issued_by", "issued_on"]


class TeacherSerializer(serializers.ModelSerializer):
    photo_url = serializers.SerializerMethodField()
    specialties = OccupationField(many=True, read_only=True)
    certificates = CertificateSerializer(many=True, read_only=True)

    class Meta:
        model = Teacher
        fields = ["id", "name", "title", "employer", "photo_url", "specialties", "certificates"]

    def get_photo_url(self, teacher) -> str | None:
        if teacher.photo is None:
            return None
        try:
            return teacher.photo.get_rendition(PHOTO_SPEC).url
        except (InvalidFilterSpecError, OSError):  # OSError includes SourceImageIOError
            logger.warning("No photo rendition for teacher %s", teacher.pk, exc_info=True)
            return None


class MaterialSerializer(serializers.ModelSerializer):
    occupation = OccupationField(read_only=True)
    level_name = serializers.CharField(source="get_level_display", read_only=True)
    document_url = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = [
            "id",
            "title",
            "authors",
            "publisher",
            "isbn",
            "edition",
            "year",
            "occupation",
            "level",
            "level_name",
            "provincial_quality",
            "summary",
            "document_url",
        ]

    def get_document_url(self, material) -> str | None:
        return material.document.url if material.document else None


def _param(request, name: str) -> str:
    """A query parameter, trimmed; NUL characters (which PostgreSQL refuses) removed."""
    return (request.query_params.get(name) or "").replace("\x00", "").strip()[:100]


TEXT_QUERY = OpenApiParameter("q", OpenApiTypes.STR, description="文本包含（支持中文）Text contains")


@extend_schema(
    parameters=[
        OpenApiParameter("specialty", OpenApiTypes.STR, description="专长职业编码 Occupation code"),
        TEXT_QUERY,
    ]
)
class TeacherListView(generics.ListAPIView):
    """Approved teachers (师资库)."""

    permission_classes = [AllowAny]
    serializer_class = TeacherSerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        return public_teachers(specialty=_param(self.request, "specialty"), q=_param(self.request, "q"))


class TeacherDetailView(APIView):
    """One approved teacher; 404 for any other state."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: TeacherSerializer, 404: DetailSerializer})
    def get(self, request, pk: int):
        teacher = public_teachers().filter(pk=pk).first()
        if teacher is None:
            raise NotFound(_("没有这位师资。"))
        return Response(TeacherSerializer(teacher, context={"request": request}).data)


@extend_schema(
    parameters=[
        OpenApiParameter("occupation", OpenApiTypes.STR, description="职业编码 Occupation code"),
        OpenApiParameter("level", OpenApiTypes.STR, description="等级 Level: 5, 4, 3, 2, 1, special"),
        TEXT_QUERY,
    ]
)
class MaterialListView(generics.ListAPIView):
    """Published teaching materials (教材)."""

    permission_classes = [AllowAny]
    serializer_class = MaterialSerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        return public_materials(
            occupation=_param(self.request, "occupation"),
            level=_param(self.request, "level"),
            q=_param(self.request, "q"),
        )


class MaterialDetailView(APIView):
    """One published material; 404 when it is a draft or unpublished."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: MaterialSerializer, 404: DetailSerializer})
    def get(self, request, pk: int):
        material = public_materials().filter(pk=pk).first()
        if material is None:
            raise NotFound(_("没有这本教材。"))
        return Response(MaterialSerializer(material, context={"request": request}).data)
