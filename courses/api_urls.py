from django.urls import path

from courses import api

urlpatterns = [
    path("courses/", api.CourseListView.as_view(), name="course-list"),
    path("courses/<id:course_id>/", api.CourseDetailView.as_view(), name="course-detail"),
]
