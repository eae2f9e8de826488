"""The project's URLs plus ``/bench/baseline/``, the bare baseline the events endpoint is compared to."""

from django.urls import path

from bench.baseline import DrfBaselineView, baseline_view
from config.urls import handler404, handler500  # noqa: F401  (Django looks them up in ROOT_URLCONF)
from config.urls import urlpatterns as project_urlpatterns

# Before the project's patterns: they end with Wagtail's catch-all page route.
urlpatterns = [
    path("bench/baseline/", baseline_view, name="bench-baseline"),
    path("bench/drf-baseline/", DrfBaselineView.as_view(), name="bench-drf-baseline"),
    *project_urlpatterns,
]
