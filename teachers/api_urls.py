from django.urls import path

from teachers import api

urlpatterns = [
    path("teachers/", api.TeacherListView.as_view(), name="teacher-list"),
    path("teachers/<id:pk>/", api.TeacherDetailView.as_view(), name="teacher-detail"),
    path("materials/", api.MaterialListView.as_view(), name="material-list"),
    path("materials/<id:pk>/", api.MaterialDetailView.as_view(), name="material-detail"),
]
