from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views import defaults
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

import common.urls  # noqa: F401  (registers the "id" path converter before any include)
from api.exceptions import json_bad_request, json_forbidden, json_not_found, json_server_error
from archive import api as archive_api
from config import pwa
from config.health import healthz, readyz
from config.metrics import metrics_view
from courses import views as course_views
from learners import reset_views
from learners import views as learner_views
from learners.forms import GuardedAdminLoginForm, GuardedAuthenticationForm
from wechat.login_page import LoginPage

# /django-admin/login/ speaks for the one login guard too (learners.login_guard).
admin.site.login_form = GuardedAdminLoginForm

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),  # Bearer METRICS_TOKEN; 404 without one
    # The archive's public signing keys (archive/signing.py), for anyone checking a head or a credential.
    path(".well-known/jwks.json", archive_api.jwks, name="jwks"),
    path("manifest.webmanifest", pwa.web_manifest, name="web-manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline/", pwa.offline, name="offline"),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Anything else under /api/ is a JSON 404, never Wagtail's HTML page.
    re_path(r"^api/", json_not_found),
    path(
        "accounts/login/",
        LoginPage.as_view(authentication_form=GuardedAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/register/", learner_views.register, name="register"),
    path("accounts/activate/", learner_views.activate, name="activate"),
    path("accounts/password-reset/", reset_views.request_code, name="password-reset"),
    path("accounts/password-reset/code/", reset_views.reset_with_code, name="password-reset-code"),
    path("accounts/password-reset/done/", reset_views.done, name="password-reset-done"),
    path(
        "accounts/password-reset/link/<uidb64>/<token>/",
        reset_views.LinkResetView.as_view(),
        name="password-reset-link",
    ),
    path("i18n/setlang/", set_language, name="set_language"),
    path("scorm/", include("scorm.urls")),
    path("wechat/", include("wechat.urls")),
    path("", include("archive.urls")),  # /me/archive/ and the public /certificates/<number>/
    path("me/", include("learners.urls")),
    path("institution/rosters/", include("rosters.urls")),
    path("institution/", include("institutions.urls")),
    path("subsidies/", include("subsidies.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("demand/", include("demand.urls")),
    path("orders/", include("orders.urls")),
    path("reports/", include("reports.urls")),
    path("integrity/", include("integrity.urls")),
    path("ops/", include("ops.urls")),
    # /home/ (each role's home), /overview/, /enterprise/employees/, /audit/
    path("", include("portal.urls")),
    path("search/", course_views.search, name="search"),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

# Local media (MEDIA_URL) is served by config.media.LocalMediaMiddleware, with byte ranges.
urlpatterns += [path("", include(wagtail_urls))]


# Errors: JSON under /api/; elsewhere Django's views with the friendly pages templates/400.html,
# 403.html, 404.html (with the header and a way back to the user's home) and 500.html (standalone:
# rendered without the request, the context processors or the database).
def handler400(request, exception=None):
    if request.path.startswith("/api/"):
        return json_bad_request(request, exception)
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if request.path.startswith("/api/"):
        return json_forbidden(request, exception)
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return json_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return defaults.server_error(request)
