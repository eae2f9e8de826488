from django.urls import path

from rosters import api

urlpatterns = [
    path("classes/<id:class_id>/roster/preview/", api.RosterPreviewView.as_view(), name="roster-preview"),
    path(
        "classes/<id:class_id>/roster/<uuid:upload_id>/confirm/",
        api.RosterConfirmView.as_view(),
        name="roster-confirm",
    ),
    path("classes/<id:class_id>/dashboard/", api.ClassDashboardView.as_view(), name="class-dashboard"),
]
