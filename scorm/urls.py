from django.urls import path

from scorm import views

app_name = "scorm"
urlpatterns = [
    path("lessons/<id:lesson_id>/launch/", views.launch, name="launch"),
    path("lessons/<id:lesson_id>/content/<path:path>", views.content, name="content"),
]
