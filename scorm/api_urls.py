from django.urls import path

from scorm.api import ScormRuntimeView

urlpatterns = [
    path("scorm/lessons/<int:lesson_id>/", ScormRuntimeView.as_view(), name="scorm-runtime"),
]
