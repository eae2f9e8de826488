"""Learner pages: the SCORM player (launch page) and the package's files, framed by it.

The package's files are served from the default storage by Django, on the site's own origin, so
that the SCO in the iframe finds ``window.parent.API`` / ``API_1484_11``. (Serving them from a
CDN or signed S3 URLs would need a cross-origin runtime bridge: see scorm/README.md.)
"""

import mimetypes

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseForbidden
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from progress.selectors import study_clock_context
from scorm.cmi import launch_cmi
from scorm.package import safe_member_name
from scorm.selectors import learner_attempt, learner_is_enrolled, scorm_lesson

AUTOCOMMIT_SECONDS = 30

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


def _forbidden(request, lesson):
    return render(request, "scorm/forbidden.html", {"lesson": lesson, "course": lesson.course}, status=403)


@require_safe
@ensure_csrf_cookie
def launch(request, lesson_id: int):
    """The player: scorm-again's API on this window, loaded with the learner's saved data,
    and the package's launch file in an iframe."""
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
    path, _, query = package.launch.partition("?")
    launch_url = reverse("scorm:content", args=[lesson.pk, path]) + (f"?{query}" if query else "")
    config = {
        "version": package.version,
        "lesson": lesson.pk,
        "commitUrl": reverse("api:scorm-runtime", args=[lesson.pk]),
        "launchUrl": launch_url,
        "channel": "pc",
        "autocommitSeconds": AUTOCOMMIT_SECONDS,
        "completed": bool(attempt and attempt.completed_at),
        "cmi": launch_cmi(
            version=package.version,
            saved=attempt.cmi if attempt else None,
            learner_id=request.user.get_username(),
            learner_name=learner.real_name,
            package=package,
        ),
    }
    runtime = "scorm12.min.js" if package.version == "1.2" else "scorm2004.min.js"
    return render(
        request,
        "scorm/launch.html",
        {
            "lesson": lesson,
            "course": lesson.course,
            "package": package,
            "config": config,
            "runtime_js": f"vendor/scorm-again/{runtime}",
            # Study time here is credited from the page's heartbeats, never from the package's
            # own session_time (docs/progress.md, "Lesson kinds").
            "clock": study_clock_context(learner, lesson),
        },
    )


@require_safe
@xframe_options_sameorigin
def content(request, lesson_id: int, path: str):
    """One file of the lesson's package, streamed from the default storage (enrolled only)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    lesson = scorm_lesson(lesson_id)
    if lesson is None:
        raise Http404("No such SCORM lesson")
    if not learner_is_enrolled(getattr(request.user, "learner", None), lesson):
        return HttpResponseForbidden(
            "未报名此课程。You are not enrolled in this lesson's course.",
            content_type="text/plain; charset=utf-8",
        )
    try:
        clean = safe_member_name(path)
    except ValidationError:
        raise Http404("Unsafe path") from None
    if clean.endswith("/"):
        raise Http404("A folder")
    name = lesson.scorm_package.storage_name(clean)
    if not default_storage.exists(name):
        raise Http404("No such file in the package")
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type_of(clean))
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Security-Policy"] = "frame-ancestors 'self'"
    return response
