"""档案校验: the bureau's and auditors' screen in the Wagtail admin that verifies the whole
archive log against the recorded signed heads (``archive.verify.chain_verify``, as
``manage.py archive_verify`` does) and names the first broken link. Others get a 403; the menu
item shows to the bureau and auditors only."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from archive import selectors
from archive.models import ArchiveHead
from archive.verify import chain_verify
from institutions.roles import scope_of


def may_verify(user) -> bool:
    """The bureau (superusers count) and auditors: they read everything (institutions.roles)."""
    return scope_of(user).reads_everything


def verify_view(request):
    if not may_verify(request.user):
        # A 403, not Wagtail's redirect to the dashboard: the screen says who may use it.
        refusal = PermissionDenied(_("只有市人社局和审计人员可以校验档案。"))
        return defaults.permission_denied(request, refusal)
    report = chain_verify() if request.method == "POST" else None
    latest = ArchiveHead.objects.order_by("-signed_at", "-pk").first()
    return TemplateResponse(
        request,
        "archive/admin/verify.html",
        {
            "page_title": _("档案校验"),
            "header_title": _("档案校验"),
            "header_icon": "success",
            "head": selectors.archive_head(),
            "latest_head": latest,
            "heads_recorded": ArchiveHead.objects.count(),
            "report": report,
        },
    )


class VerifyMenuItem(MenuItem):
    def is_shown(self, request):
        return may_verify(request.user)


@hooks.register("register_admin_urls")
def register_verify_url():
    return [path("archive/verify/", verify_view, name="archive_verify")]


@hooks.register("register_admin_menu_item")
def register_verify_menu_item():
    return VerifyMenuItem(
        _("档案校验"), reverse("archive_verify"), name="archive-verify", icon_name="success", order=900
    )
