from django.urls import path

from scorm.api import ScormRuntimeView

urlpatterns = [
    path("scorm/lessons/<id:lesson_id>/", ScormRuntimeView.as_view(), name="scorm-runtime"),
]
