"""Staff help a learner back into their account: for a learner who lost their phone (no SMS
code), staff of the learner's institution check the ID card and issue a one-time link with
which the learner chooses a new password (``learners.password_reset.staff_reset_link_issue``,
logged as reveals are). Who may is the roles' to say: those who may verify the learner's
identity (``roles.can_verify_identity``), for an account that is only a learner's."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from institutions import roles
from learners import password_reset
from learners.login_guard import client_address


class StaffResetForm(forms.Form):
    id_card_checked = forms.BooleanField(label=_("已核对学员本人的身份证原件"))
    reason = forms.CharField(
        label=_("原因"),
        max_length=200,
        initial=_("学员手机号停用，现场核对身份证后重设密码"),
    )


def _may_reset(user, learner) -> bool:
    """Staff who may verify the learner's identity, for an account with no other role (a staff
    member's or an official's account is not reset by another institution's staff)."""
    if not roles.can_verify_identity(user, learner):
        return False
    account = learner.user
    return not (account.is_staff or account.is_superuser) and roles.roles_of(account) == {roles.Role.LEARNER}


@never_cache
@login_required
def learner_password_reset(request, learner_id: int):
    learner = roles.learners_visible_to(request.user).select_related("user").filter(pk=learner_id).first()
    if learner is None:
        raise Http404(_("没有这位学员。"))
    if not roles.can_verify_identity(request.user, learner):
        raise PermissionDenied(_("只有学员所在培训机构的工作人员可以为其重设密码。"))
    permitted = _may_reset(request.user, learner)
    if not permitted:
        raise PermissionDenied(_("这个账号不能由培训机构重设密码，请联系市人社局管理员。"))
    form = StaffResetForm(data=request.POST or None)
    link = ""
    if request.method == "POST" and form.is_valid():
        try:
            path = password_reset.staff_reset_link_issue(
                staff=request.user,
                learner=learner,
                reason=form.cleaned_data["reason"],
                permitted=permitted,
                ip=client_address(request) or None,
            )
        except DjangoValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            link = settings.SITE_URL + path
    context = {
        "learner": learner,
        "form": form,
        "link": link,
        "hours": password_reset.link_seconds() // 3600,
    }
    return TemplateResponse(
        request, "registration/password_reset_staff.html", context, status=400 if form.errors else 200
    )
