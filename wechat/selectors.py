"""What the official account tells a follower: who they are bound to, that learner's courses with
credited and required hours, and their certificates. Reads only, in a fixed number of queries
whatever the number of courses or certificates (the replies must leave within WeChat's 5 s)."""

from urllib.parse import urlsplit

from django.urls import reverse

from archive.selectors import learner_archive
from institutions.selectors import learning_overview
from learners.models import Learner
from wechat.models import WechatBinding


def bound_learner(openid: str) -> Learner | None:
    """The learner this openid is bound to, if any and if their account is active (one query)."""
    binding = WechatBinding.objects.select_related("learner__user").filter(openid=openid).first()
    if binding is None or not binding.learner.user.is_active:
        return None
    return binding.learner


def _path(url: str | None) -> str | None:
    """A site URL as a path (Wagtail gives an absolute one when it serves several sites)."""
    if not url:
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def learner_courses(learner: Learner) -> dict:
    """The learner's courses, the ones still being studied first (newest enrolment first), each
    with the same numbers as 我的学习 (``learning_overview``), and where they last studied."""
    overview = learning_overview(learner, None)
    courses = [
        {
            "title": row["course"].title,
            "path": _path(row["url"]),
            "credited_seconds": row["credited_seconds"],
            "required_seconds": row["required_seconds"],
            "missing_seconds": row["missing_seconds"],
            "missing_lessons": row["missing_lessons"],
            "percent": row["percent"],
            "completed": row["completed"],
        }
        for row in overview["courses"]
    ]
    courses.sort(key=lambda row: row["completed"])  # stable: keeps the newest first in each group
    resume = overview["resume"]
    if resume is not None:
        resume = {"title": resume["title"], "course": resume["course"], "path": _path(resume["url"])}
    return {"courses": courses, "resume": resume}


def learner_certificates(learner: Learner) -> list[dict]:
    """The learner's certificates, newest first, with the path of their public verification page."""
    entries = learner_archive(learner).filter(certificate__isnull=False)
    return [
        {
            "course_title": entry.course_title,
            "number": entry.certificate.number,
            "type": entry.certificate.get_type_display(),
            "issued_at": entry.certificate.issued_at,
            "verify_path": reverse("certificate-verify", args=[entry.certificate.number]),
        }
        for entry in entries
    ]
