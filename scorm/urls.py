from django.urls import path

from scorm import views

app_name = "scorm"
urlpatterns = [
    path("lessons/<id:lesson_id>/launch/", views.launch, name="launch"),
    # The old session address: redirects an enrolled learner to a signed link.
    path("lessons/<id:lesson_id>/content/<path:path>", views.content_by_session, name="content-by-session"),
    # Reached by the package's sandboxed frame, which has no session: the token is the credential.
    path("content/<str:token>/<path:path>", views.content, name="content"),
    path("commit/<str:token>/", views.commit, name="commit"),
]
