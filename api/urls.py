"""The URL root of ``/api/v1/``: the kit's own endpoint (the token login), then every app's
endpoints, each app owning its ``api.py`` and ``api_urls.py`` (docs/architecture.md). The apps'
URLconfs are included by dotted path, so the kit imports no app for them."""

from django.urls import include, path

from api import views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenLoginView.as_view(), name="token"),
    path("", include("learners.api_urls")),
    path("", include("courses.api_urls")),
    path("", include("progress.api_urls")),
    path("", include("catalogs.api_urls")),
    path("", include("teachers.api_urls")),
    path("", include("scorm.api_urls")),
    path("", include("quizzes.api_urls")),
    path("", include("institutions.api_urls")),
    path("", include("rosters.api_urls")),
    path("", include("archive.api_urls")),
    path("", include("subsidies.api_urls")),
    path("", include("evaluation.api_urls")),
    path("", include("demand.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("integrity.api_urls")),
    path("", include("audit.api_urls")),
]
