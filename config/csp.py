"""The Content-Security-Policy of every response (django-csp; docs/security.md, "Content-Security-
Policy").

``CONTENT_SECURITY_POLICY`` in the settings is the platform's own pages' policy: scripts and
styles from this site or carrying the response's nonce (``request.csp_nonce``), nothing inline
otherwise. ``AreaCSPMiddleware`` replaces some of its directives for the areas whose code is not
ours (``AREA_POLICIES``, by path prefix), and adds this host's WebSocket origin to ``connect-src``.
A view that sets its own header keeps it (the SCORM package files: ``sandbox``), and a view
decorated with django-csp's ``csp_update``/``csp_replace`` gets its own changes on top.

The helpers below compute origins from the settings' values; ``config.settings`` calls them.
"""

from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an absolute URL, else None."""
    if not url:
        return None
    parts = urlsplit(url if "://" in url else "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def media_origins(
    *,
    media_url: str = "",
    bucket: str | None = None,
    endpoint_url: str | None = None,
    custom_domain: str | None = None,
    region: str | None = None,
    protocol: str = "https:",
) -> list[str]:
    """Where media files (videos, images, documents) are loaded from besides this site: the S3
    custom domain, else the S3 endpoint (path style) or AWS's bucket hosts; and an absolute
    ``MEDIA_URL``."""
    origins = []
    if bucket:
        if custom_domain:
            origins.append(f"{protocol}//{custom_domain.strip('/')}")
        elif endpoint_url:
            origins.append(origin_of(endpoint_url))
        else:
            origins.append(f"https://{bucket}.s3.amazonaws.com")
            if region:
                origins.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    origins.append(origin_of(media_url))
    return [origin for origin in dict.fromkeys(origins) if origin]


def scorm_frame_sources(content_origin: str) -> list[str]:
    """What the SCORM player may frame (``SCORM_CONTENT_ORIGIN``, scorm/README.md "Isolation"):
    this site (the opaque sandbox) and the content origin; "{lesson}" in its host stands for one
    host per lesson (a wildcard label); "loopback" (development) is the other loopback name on
    any port."""
    if content_origin == "loopback":
        return ["http://127.0.0.1:*", "http://localhost:*", "https://127.0.0.1:*", "https://localhost:*"]
    if not content_origin:
        return []
    scheme, _, host = content_origin.partition("://")
    labels = ["*" if "{lesson}" in label else label for label in host.split(".")]
    if "*" in labels[1:]:  # a wildcard must be the leftmost label: allow the parent domain's hosts
        labels = ["*", *labels[labels.index("*", 1) + 1 :]]
    return [f"{scheme}://{'.'.join(labels)}"]


def platform_policy(*, media: list[str], scorm_content_origin: str) -> dict:
    """The platform's own pages (settings CONTENT_SECURITY_POLICY): scripts and styles from this
    site, or inline with the response's nonce; ``media`` the S3/media origins, the SCORM content
    origin for the player's frame."""
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF, NONCE],
            "style-src": [SELF, NONCE],
            "img-src": [SELF, "data:", *media],
            "media-src": [SELF, "blob:", *media],
            # The service worker's own fetches (sw.js is served with this policy) include media.
            "connect-src": [SELF, *media],  # + this host's ws:/wss: (config.csp.AreaCSPMiddleware)
            # The SCORM player's sandboxed frame, and a document lesson's PDF (media).
            "frame-src": [SELF, *scorm_frame_sources(scorm_content_origin), *media],
            "font-src": [SELF, "data:"],
            "worker-src": [SELF],
            "manifest-src": [SELF],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],  # no form posts elsewhere (WeChat's login is a link, then redirects)
            "frame-ancestors": [NONE],  # as X_FRAME_OPTIONS; the SCORM package files have their own
        },
    }


def relaxed_for_admin(*, media: list[str]) -> dict:
    """Wagtail's admin (/admin/) renders inline scripts (panels, date widgets) and style
    attributes in its own templates: inline allowed, still nothing from elsewhere, and it may
    frame its own previews (which it frames from /admin/)."""
    return {
        "script-src": [SELF, UNSAFE_INLINE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *media],
        "frame-src": [SELF, *media],
        "frame-ancestors": [SELF],
    }


def api_docs() -> dict:
    """Swagger UI (/api/docs/, drf-spectacular's sidecar files): its inline script and style
    carry the nonce (templates/drf_spectacular/swagger_ui.html); its React code sets styles
    through the DOM, which CSP allows; its icons are data: URLs."""
    return {"img-src": [SELF, "data:"]}


class AreaCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with a policy per area (``settings.CSP_AREA_POLICIES``: path prefix
    → directives replaced) and this host's ``ws:``/``wss:`` origin in ``connect-src`` (the live
    progress socket at /ws/; some browsers do not count it in 'self')."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only or parts.config is not None:
            return parts
        from django.conf import settings

        for prefix, directives in getattr(settings, "CSP_AREA_POLICIES", {}).items():
            if request.path_info.startswith(prefix):
                parts.replace = {**directives, **(parts.replace or {})}
                break
        if response.status_code >= 500:
            # templates/500.html is rendered without the request (so without a nonce) and keeps
            # its style inline on purpose. Without the nonce in style-src, 'unsafe-inline' holds.
            parts.replace = {**(parts.replace or {}), "style-src": [SELF, UNSAFE_INLINE]}
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts
        socket = f"{'wss' if request.is_secure() else 'ws'}://{host}"
        parts.update = {**(parts.update or {})}
        parts.update["connect-src"] = [*parts.update.get("connect-src", []), socket]
        return parts
