from django.urls import path

from learners import api

urlpatterns = [
    path("auth/register/", api.RegisterView.as_view(), name="register"),
    path("courses/<id:course_id>/enroll/", api.EnrollView.as_view(), name="course-enroll"),
    path("me/", api.MeView.as_view(), name="me"),
]
