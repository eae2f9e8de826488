"""Courses API: the published courses and one course with its lessons, teachers and materials."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.shapes import DetailSerializer
from courses import serializers as s
from courses.covers import with_covers
from courses.models import CoursePage
from courses.selectors import published_course_with_lessons, published_courses


class CourseListView(generics.ListAPIView):
    """Published courses."""

    permission_classes = [AllowAny]
    serializer_class = s.CourseListSerializer

    def get_queryset(self):
        courses = with_covers(published_courses())
        occupation = self.request.query_params.get("occupation")
        if occupation:
            courses = courses.filter(occupation__code=occupation)
        level = self.request.query_params.get("level")
        if level:
            courses = courses.filter(level=level)
        industry = self.request.query_params.get("industry")
        if industry:
            courses = courses.filter(industry=industry)
        return courses


class CourseDetailView(APIView):
    """One published course with its lessons in order."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.CourseDetailSerializer, 404: DetailSerializer})
    def get(self, request, course_id: int):
        try:
            course = published_course_with_lessons(course_id)
        except CoursePage.DoesNotExist:
            raise NotFound(_("没有这门课程。")) from None
        return Response(s.CourseDetailSerializer(course, context={"request": request}).data)
