"""Pages of the archive: "我的档案" for the learner; the public certificate check (with the
bureau's revocation form); the external certificates institution staff record, and their scans.
"""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archive import certificates, selectors
from archive.forms import ExternalCertificateForm, RevocationForm
from audit.models import AuditAction
from audit.services import audit_record
from courses.models import CoursePage
from institutions.roles import scope_of
from vocabulary.training import CertificateType


@login_required
def my_archive(request):
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied(_("只有注册学员有培训档案。"))
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
    without = [entry for entry in entries if entry.issued_certificate is None]
    held: set[int] = set()
    if without and not learner.verified:
        held = set(
            CoursePage.objects.filter(pk__in={entry.course_id for entry in without})
            .exclude(certificate_type=CertificateType.NONE)
            .values_list("pk", flat=True)
        )
    for entry in entries:
        entry.certificate_held = entry.course_id in held and entry.issued_certificate is None


@require_GET
def certificate_verify(request, number: str):
    """Public (no login): confirms a certificate by its number, with the masked name only."""
    return _verify_page(request, number)


def _verify_page(request, number: str, *, revoke_error: str = "", status: int = 200):
    found = selectors.certificate_public(number)
    if found is None:
        raise Http404(_("没有这个证书编号。"))
    page = request.build_absolute_uri(reverse("certificate-verify", args=[found["certificate"].number]))
    qr = segno.make(page, error="m")
    context = {
        **found,
        "qr_svg": qr.svg_inline(scale=4, title=_("证书查验二维码")),
        "jwks_url": request.build_absolute_uri(reverse("jwks")),
        "may_revoke": selectors.may_revoke(request.user),
        "revoke_error": revoke_error,
    }
    response = TemplateResponse(request, "archive/certificate_verify.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def certificate_revoke(request, number: str):
    """The bureau revokes a certificate from its verification page, giving the reason."""
    if not selectors.may_revoke(request.user):
        raise PermissionDenied(_("只有市人社局可以撤销证书。"))
    certificate = selectors.certificate_find(number)
    if certificate is None:
        raise Http404(_("没有这个证书编号。"))
    form = RevocationForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            certificates.certificate_revoke(
                certificate=certificate, reason=form.cleaned_data["reason"], by=request.user
            )
        except certificates.CertificateRefused as refusal:
            error = str(refusal)
    else:
        error = _("请写明撤销原因（不超过 500 个字）。")
    if error:
        return _verify_page(request, number, revoke_error=error, status=400)
    audit_record(
        request,
        action=AuditAction.DECISION,
        subject="archive.certificates",
        object_id=certificate.number,
        detail={"decision": "revoke", "reason": form.cleaned_data["reason"]},
    )
    messages.success(request, _("证书 %(number)s 已撤销。") % {"number": certificate.number})
    return redirect("certificate-verify", certificate.number)


@login_required
@require_http_methods(["GET", "POST"])
def external_certificates(request):
    """登记外部证书 (institution staff): record a certificate issued elsewhere for one of their
    learners, found by ID number, with its scan; below, the ones recorded for their learners."""
    if not selectors.may_record_external(request.user):
        raise PermissionDenied(_("只有培训机构工作人员可以登记外部证书。"))
    form = ExternalCertificateForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            learner = selectors.learner_for_staff(request.user, data["id_number"])
            if learner is None:
                form.add_error("id_number", _("没有找到这个身份证号的学员，或该学员不在本机构的班级里。"))
            else:
                try:
                    recorded = certificates.external_certificate_record(
                        learner=learner,
                        type=data["type"],
                        number=data["number"],
                        issuer=data["issuer"],
                        issued_on=data["issued_on"],
                        scan=data["scan"],
                        by=request.user,
                        entry=selectors.entry_leading_to(
                            learner, data["type"], scope_of(request.user).institution_id
                        ),
                    )
                except certificates.CertificateRefused as refusal:
                    form.add_error(None, str(refusal))
                except certificates.StorageUnavailable as failure:
                    form.add_error(None, str(failure))
                    status = 503  # not the form's fault: the same form may be sent again
                else:
                    messages.success(request, _("已登记：%(certificate)s。") % {"certificate": recorded})
                    return redirect("external-certificates")
        status = 400 if status == 200 else status
    page = Paginator(selectors.external_certificates_visible_to(request.user), 50).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(
        request, "archive/external_certificates.html", {"form": form, "page": page}, status=status
    )


@login_required
@require_GET
def external_certificate_scan(request, pk: int):
    """The scan of an external certificate, from private storage: for the holder and the staff
    whose role reaches them; a 404 for everyone else (its existence is not told)."""
    found = selectors.external_certificates_visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("没有这份扫描件。"))
    response = FileResponse(
        found.scan.open("rb"), as_attachment=False, filename=found.scan.name.rsplit("/", 1)[-1]
    )
    response["Cache-Control"] = "private, no-store"
    return response
