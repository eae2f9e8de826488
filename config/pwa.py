"""The installable app (PWA): web manifest, service worker (served from the site root so its
scope is the whole site) and the offline page it falls back to."""

import hashlib

from django.template.response import TemplateResponse
from django.templatetags.static import static

_SHELL = (
    "vendor/weui/weui-subset.min.css",
    "css/site.css",
    "js/player.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
)


def web_manifest(request):
    return TemplateResponse(request, "pwa/manifest.webmanifest", content_type="application/manifest+json")


def service_worker(request):
    """The worker from the site root, so its scope is the whole site. Its cache name changes
    with the shell's static URLs (hashed in production), so a new release replaces the cache."""
    version = hashlib.sha256("|".join(static(name) for name in _SHELL).encode()).hexdigest()[:12]
    response = TemplateResponse(
        request, "pwa/sw.js", {"version": version}, content_type="text/javascript; charset=utf-8"
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


def offline(request):
    """Shown by the service worker when a page cannot load: the same for everyone."""
    return TemplateResponse(request, "offline.html")
