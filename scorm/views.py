"""Learner pages: the SCORM player (launch page), the package's files, and the package's commits.

A package is editors' JavaScript: it must never run with the learner's session. So (scorm/README.md,
"Isolation"):

- the launch page frames the package in ``<iframe sandbox>`` without ``allow-same-origin``
  (an opaque origin: no cookies, no storage, no access to the platform's pages), or, when
  ``SCORM_CONTENT_ORIGIN`` names a host of its own, with it but on that host;
- the package's files are reached through a signed, expiring link naming one learner and one
  lesson (``/scorm/content/<token>/<path>``), not through the session; every response carries
  the same sandbox as a CSP header, so the files are sandboxed even when opened on their own;
- scorm-again's runtime is injected into every HTML page of the package, loaded with the
  learner's saved data, and commits through the same link (``/scorm/commit/<token>/``): the
  package's API can write this learner's data for this lesson, and nothing else.
"""

import json
import mimetypes
import re
from codecs import lookup
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_safe
from rest_framework.exceptions import ValidationError as CmiInvalid

from progress.models import Channel
from progress.selectors import study_clock_context
from scorm.api import DEFAULT_MAX_COMMIT_BYTES, json_constant_refused
from scorm.cmi import launch_cmi
from scorm.package import limit, safe_member_name
from scorm.selectors import (
    attempt_data,
    enrolled_learner,
    learner_attempt,
    learner_is_enrolled,
    scorm_lesson,
)
from scorm.services import attempt_save

AUTOCOMMIT_SECONDS = 30

# The package's frame may run scripts, submit forms, open windows (sandboxed like itself),
# download files and show alert/confirm (packages ask "resume where you left off?"). It may not
# navigate the platform's page (no allow-top-navigation) nor take the platform's origin.
SANDBOX = "allow-scripts allow-forms allow-popups allow-downloads allow-modals"
TOKEN_SALT = "scorm.views.content"  # noqa: S105  (a signing salt, not a secret)

# Types the standard table may lack or get wrong; nosniff is on, so scripts need a script type.
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".xml": "application/xml",
    ".xsd": "application/xml",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".webm": "video/webm",
    ".vtt": "text/vtt",
    ".swf": "application/x-shockwave-flash",
}


def content_type_of(path: str) -> str:
    dot = path.rfind(".")
    extension = path[dot:].lower() if dot >= 0 else ""
    return CONTENT_TYPES.get(extension) or mimetypes.guess_type(path)[0] or "application/octet-stream"


# --- where the package runs, and the link that reaches it ------------------------------------


def origin_of(request) -> str:
    """This request's origin (scheme and host as the client sent them, checked by ALLOWED_HOSTS)."""
    return f"{request.scheme}://{request.get_host()}"


LOOPBACK = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}


def content_origin(platform_origin: str, lesson_id: int) -> str | None:
    """The separate origin the lesson's files are served from for a player on
    ``platform_origin``, or None: the platform's own origin, in an opaque sandbox. Computed from
    the settings only, never from what a request or a link claims."""
    configured = settings.SCORM_CONTENT_ORIGIN
    if configured == "loopback":
        scheme, _, host = platform_origin.partition("://")
        name, colon, port = host.partition(":")
        other = LOOPBACK.get(name)
        origin = f"{scheme}://{other}{colon}{port}" if other else None
    elif configured:
        origin = configured.replace("{lesson}", str(lesson_id))
    else:
        origin = None
    return origin if origin and origin != platform_origin else None


def sandbox_for(separate_origin: bool) -> str:
    """The sandbox flags: ``allow-same-origin`` only on a separate origin, where the package's
    own origin holds no platform cookie, and lets its frames script each other."""
    return f"{SANDBOX} allow-same-origin" if separate_origin else SANDBOX


@dataclass(frozen=True)
class ContentAccess:
    """What a content link grants: one learner's access to one lesson's package."""

    lesson_id: int
    learner_id: int
    platform_origin: str


def content_token(*, lesson_id: int, learner_id: int, platform_origin: str) -> str:
    """A signed, timestamped link segment (``SCORM_CONTENT_TOKEN_SECONDS``); URL-safe."""
    return signing.dumps({"l": lesson_id, "u": learner_id, "o": platform_origin}, salt=TOKEN_SALT)


def content_access(token: str) -> ContentAccess | None:
    """The access a token grants, or None: tampered, signed for something else, or expired."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=settings.SCORM_CONTENT_TOKEN_SECONDS)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(payload, dict):
        return None
    lesson_id, learner_id, origin = payload.get("l"), payload.get("u"), payload.get("o")
    if not (isinstance(lesson_id, int) and isinstance(learner_id, int) and isinstance(origin, str)):
        return None
    return ContentAccess(lesson_id, learner_id, origin)


def package_url(*, request, lesson, learner, path: str) -> str:
    """The absolute link to a file of the lesson's package for this learner, minted now, on the
    content origin (or this site's). ``path`` may carry the manifest's parameters."""
    platform = origin_of(request)
    token = content_token(lesson_id=lesson.pk, learner_id=learner.pk, platform_origin=platform)
    path, _, query = path.partition("?")
    url = reverse("scorm:content", args=[token, path]) + (f"?{query}" if query else "")
    return (content_origin(platform, lesson.pk) or platform) + url


def _forbidden(request, lesson):
    return render(request, "scorm/forbidden.html", {"lesson": lesson, "course": lesson.course}, status=403)


# --- the player -----------------------------------------------------------------------------


@require_safe
@ensure_csrf_cookie
def launch(request, lesson_id: int):
    """The player: the package in a sandboxed iframe, reached through a signed link (enrolled
    learners only); the study clock sends heartbeats from this page as for any lesson."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    lesson = scorm_lesson(lesson_id)
    if lesson is None:
        raise Http404("No such SCORM lesson")
    learner = getattr(request.user, "learner", None)
    if not learner_is_enrolled(learner, lesson):
        return _forbidden(request, lesson)
    package = lesson.scorm_package
    attempt = learner_attempt(learner, lesson)
    separate = content_origin(origin_of(request), lesson.pk)
    config = {
        "version": package.version,
        "lesson": lesson.pk,
        "launchUrl": package_url(request=request, lesson=lesson, learner=learner, path=package.launch),
        # postMessage from the frame comes from this origin ("null": an opaque sandbox).
        "contentOrigin": separate or "null",
        "expiresIn": settings.SCORM_CONTENT_TOKEN_SECONDS,
        "completed": bool(attempt and attempt.completed_at),
    }
    return render(
        request,
        "scorm/launch.html",
        {
            "lesson": lesson,
            "course": lesson.course,
            "package": package,
            "config": config,
            "sandbox": sandbox_for(bool(separate)),
            # Study time here is credited from the page's heartbeats, never from the package's
            # own session_time (docs/progress.md, "Lesson kinds").
            "clock": study_clock_context(learner, lesson),
        },
    )


@require_safe
def content_by_session(request, lesson_id: int, path: str):
    """The old session address of a package file: for an enrolled learner, a redirect to a
    freshly signed link (the file itself is never served with the session)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    lesson = scorm_lesson(lesson_id)
    if lesson is None:
        raise Http404("No such SCORM lesson")
    learner = getattr(request.user, "learner", None)
    if not learner_is_enrolled(learner, lesson):
        return HttpResponseForbidden(
            _("未报名此课程。"),
            content_type="text/plain; charset=utf-8",
        )
    query = request.META.get("QUERY_STRING", "")
    target = package_url(request=request, lesson=lesson, learner=learner, path=path)
    return HttpResponseRedirect(target + (f"?{query}" if query else ""))


# --- the package's files ------------------------------------------------------------------


def _isolated(response, *, request, access: ContentAccess | None, html: bool = False):
    """Headers of everything served through a content link: sandboxed even when opened on its
    own (CSP ``sandbox``), never sniffed, never leaking the link by Referer, cached privately
    (HTML not at all: it carries the learner's data), readable by the package's own scripts
    from its opaque origin (CORS ``*``, no credentials: the link is the credential)."""
    separate = access is not None and origin_of(request) == content_origin(
        access.platform_origin, access.lesson_id
    )
    policy = [f"sandbox {sandbox_for(separate)}"]
    if separate:
        # Only the player (and the package's own frames) may frame it. In an opaque sandbox no
        # frame-ancestors list can be given: the package's outer page, an ancestor of its inner
        # frames, has an opaque origin that no source expression matches.
        policy.append(f"frame-ancestors {access.platform_origin} 'self'")
    response["Content-Security-Policy"] = "; ".join(policy)
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cross-Origin-Opener-Policy"] = "unsafe-none"  # a package's own popups keep their opener
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "private, no-store" if html else "private, max-age=300"
    return response


def _refused(request, message: str, status: int = 403):
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    return _isolated(response, request=request, access=None)


LINK_REFUSED = _("课件链接无效或已过期，请从课程页面重新打开课件。")
NOT_ENROLLED = _("未报名此课程。")


@require_safe
@xframe_options_exempt
def content(request, token: str, path: str):
    """One file of the package named by the link, streamed from the default storage; HTML pages
    get the runtime injected, loaded with the learner's saved data."""
    access = content_access(token)
    if access is None:
        return _refused(request, LINK_REFUSED)
    lesson = scorm_lesson(access.lesson_id)
    if lesson is None:
        return _refused(request, _("没有这个 SCORM 课时。"), status=404)
    learner = enrolled_learner(access.learner_id, lesson)
    if learner is None:
        return _refused(request, NOT_ENROLLED)
    try:
        clean = safe_member_name(path)
    except ValidationError:
        clean = ""
    name = lesson.scorm_package.storage_name(clean)
    if not clean or clean.endswith("/") or not default_storage.exists(name):
        return _refused(request, _("课件中没有这个文件。"), status=404)
    content_type = content_type_of(clean)
    if content_type != "text/html":
        response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
        return _isolated(response, request=request, access=access)
    with default_storage.open(name, "rb") as stored:
        raw = stored.read()
    page, charset = html_with_runtime(raw, _runtime_snippet(request, access, lesson, learner))
    response = HttpResponse(page, content_type=f"text/html; charset={charset}" if charset else "text/html")
    return _isolated(response, request=request, access=access, html=True)


def _runtime_snippet(request, access: ContentAccess, lesson, learner) -> bytes:
    """What goes at the top of every HTML page of the package: the learner's saved data, then
    scorm-again and ``scorm/frame.js`` (classic scripts from the platform's static files, so
    they run before the package's own scripts)."""
    package = lesson.scorm_package
    attempt = learner_attempt(learner, lesson)
    here = origin_of(request)
    token = request.resolver_match.kwargs["token"]
    data = {
        "version": package.version,
        "platformOrigin": access.platform_origin,
        "commitUrl": here + reverse("scorm:commit", args=[token]),
        "channel": Channel.PC,
        "autocommitSeconds": AUTOCOMMIT_SECONDS,
        "cmi": launch_cmi(
            version=package.version,
            saved=attempt.cmi if attempt else None,
            learner_id=learner.user.get_username(),
            learner_name=learner.real_name,
            package=package,
        ),
    }
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    runtime = "scorm12.min.js" if package.version == "1.2" else "scorm2004.min.js"
    scripts = "".join(
        f'<script src="{_platform_static(access.platform_origin, path)}"></script>'
        for path in (f"vendor/scorm-again/{runtime}", "scorm/frame.js")
    )
    return f"<script>window.__ZIBO_SCORM__={text};</script>{scripts}".encode("ascii")


def _platform_static(platform_origin: str, path: str) -> str:
    url = static(path)
    return url if url.startswith(("https://", "http://", "//")) else platform_origin + url


HEAD_TAG = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)
HTML_TAG = re.compile(rb"<html(?:\s[^>]*)?>", re.IGNORECASE)
DOCTYPE = re.compile(rb"<!doctype[^>]*>", re.IGNORECASE)
BODY_TAG = re.compile(rb"<body[\s>]", re.IGNORECASE)
CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-z0-9_.:-]{1,40})""", re.IGNORECASE)
UTF8_BOM = b"\xef\xbb\xbf"


def html_with_runtime(raw: bytes, snippet: bytes) -> tuple[bytes, str | None]:
    """``raw`` with ``snippet`` (ASCII) right after ``<head>`` (or ``<html>``, the doctype, or at
    the start), and the page's declared charset, to be sent in the header: the snippet may push
    a ``<meta charset>`` past the 1,024 bytes in which browsers look for it. A UTF-16 page
    (rare) is served as it is, without the runtime."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw, None
    start = len(UTF8_BOM) if raw.startswith(UTF8_BOM) else 0
    charset = "utf-8" if start else _declared_charset(raw[:8192])
    body = BODY_TAG.search(raw)
    before_body = body.start() if body else len(raw)
    for pattern in (HEAD_TAG, HTML_TAG, DOCTYPE):
        found = pattern.search(raw, start, before_body)
        if found:
            at = found.end()
            break
    else:
        at = start
    return raw[:at] + snippet + raw[at:], charset


def _declared_charset(head: bytes) -> str | None:
    found = CHARSET.search(head)
    if not found:
        return None
    label = found.group(1).decode("ascii").lower()
    try:
        lookup(label)
    except LookupError:
        return None
    return label


# --- the package's commits ------------------------------------------------------------------


def _answer(data: dict, status: int = 200):
    response = JsonResponse(data, status=status)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@csrf_exempt  # no cookie is read: the signed link is the credential, so there is nothing to forge
def commit(request, token: str):
    """The runtime's commit from the package's frame: ``{"cmi": {...}, "channel": "pc"}`` as
    JSON (sent as text/plain, so that no CORS preflight is needed from the opaque frame).
    Saved as ``PUT /api/v1/scorm/lessons/{id}/`` saves it, for the link's learner and lesson."""
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = "POST, PUT"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
        return response
    if request.method not in ("POST", "PUT"):
        response = _answer({"detail": _("请使用 POST。")}, status=405)
        response["Allow"] = "POST, PUT, OPTIONS"
        return response
    access = content_access(token)
    if access is None:
        return _answer({"detail": LINK_REFUSED}, status=403)
    lesson = scorm_lesson(access.lesson_id)
    if lesson is None:
        return _answer({"detail": _("没有这个 SCORM 课时。")}, status=404)
    learner = enrolled_learner(access.learner_id, lesson)
    if learner is None:
        return _answer({"detail": NOT_ENROLLED}, status=403)
    cap = limit("SCORM_MAX_COMMIT_BYTES", DEFAULT_MAX_COMMIT_BYTES)
    raw = request.read(cap + 1)
    if len(raw) > cap:
        return _answer(
            {"detail": _("提交的数据过大（上限 %(limit)d 字节）。") % {"limit": cap}},
            status=413,
        )
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=json_constant_refused)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _answer({"detail": _("JSON 格式错误。")}, status=400)
    if not isinstance(body, dict) or not isinstance(body.get("cmi"), dict):
        return _answer({"detail": _('请求体必须是 {"cmi": {...}}。')}, status=400)
    channel = body.get("channel", Channel.PC)
    if channel not in Channel.values:
        return _answer({"detail": _("channel 必须是 pc、app 或 wechat。")}, 400)
    package = lesson.scorm_package
    try:
        attempt = attempt_save(
            learner=learner, lesson=lesson, version=package.version, cmi=body["cmi"], channel=channel
        )
    except CmiInvalid as invalid:
        detail = invalid.detail.get("detail") if isinstance(invalid.detail, dict) else invalid.detail
        return _answer({"detail": str(detail)}, status=400)
    return _answer(attempt_data(lesson, package, attempt))
