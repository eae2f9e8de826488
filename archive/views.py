"""Pages of the archive: "我的档案" for the learner, and the public certificate check."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse

from archive import selectors
from courses.models import CoursePage
from vocabulary.training import CertificateType


@login_required
def my_archive(request):
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied("只有注册学员有培训档案。Only registered learners have a training archive.")
    entries = selectors.corrections_apply(selectors.learner_archive(learner))
    _mark_held_certificates(learner, entries)
    return TemplateResponse(
        request,
        "archive/my_archive.html",
        {
            "learner": learner,
            "entries": entries,
            "total_seconds": sum(entry.credited_seconds for entry in entries),
        },
    )


def _mark_held_certificates(learner, entries: list) -> None:
    """Set ``certificate_held`` on the entries whose course gives a certificate that waits for
    the learner's real-name verification (archive.services.archive_entry_record): one query,
    and only for an unverified learner with entries lacking a certificate."""
    without = [entry for entry in entries if not _has_certificate(entry)]
    held: set[int] = set()
    if without and not learner.verified:
        held = set(
            CoursePage.objects.filter(pk__in={entry.course_id for entry in without})
            .exclude(certificate_type=CertificateType.NONE)
            .values_list("pk", flat=True)
        )
    for entry in entries:
        entry.certificate_held = entry.course_id in held and not _has_certificate(entry)


def _has_certificate(entry) -> bool:
    try:
        return entry.certificate is not None
    except ObjectDoesNotExist:
        return False


def certificate_verify(request, number: str):
    """Public (no login): confirms a certificate by its number, with masked personal data only."""
    found = selectors.certificate_public(number)
    if found is None:
        raise Http404("没有这个证书编号。No certificate has this number.")
    response = TemplateResponse(request, "archive/certificate_verify.html", found)
    response["X-Robots-Tag"] = "noindex"
    return response
