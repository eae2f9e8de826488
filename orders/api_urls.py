from django.urls import path

from orders import api

urlpatterns = [
    path("me/open-classes/", api.OpenClassesView.as_view(), name="my-open-classes"),
    path(
        "me/open-classes/<id:class_id>/enroll/",
        api.OpenClassEnrollView.as_view(),
        name="my-open-class-enroll",
    ),
]
