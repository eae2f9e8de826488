"""Pages of the archive: "我的档案" for the learner, and the public certificate check."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse

from archive import selectors


@login_required
def my_archive(request):
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied("只有注册学员有培训档案。Only registered learners have a training archive.")
    entries = list(selectors.learner_archive(learner))
    return TemplateResponse(
        request,
        "archive/my_archive.html",
        {
            "learner": learner,
            "entries": entries,
            "total_hours": sum(entry.credited_hours for entry in entries),
        },
    )


def certificate_verify(request, number: str):
    """Public (no login): confirms a certificate by its number, with masked personal data only."""
    found = selectors.certificate_public(number)
    if found is None:
        raise Http404("没有这个证书编号。No certificate has this number.")
    response = TemplateResponse(request, "archive/certificate_verify.html", found)
    response["X-Robots-Tag"] = "noindex"
    return response
