"""A login binds the openid that waits in the browser's session (wechat.login, "pending").

Every login passes here, whatever the door: the password login page, registration (which logs
the new learner in), roster activation. The pending openid is used once, whatever happens.
"""

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils.translation import gettext as _

from wechat.client import enabled
from wechat.login import BIND_REFUSED_ATTRIBUTE, pending_take
from wechat.services import BindingRefused, binding_create


@receiver(user_logged_in, dispatch_uid="wechat.bind_pending_openid")
def bind_pending_openid(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None or not enabled():
        return
    openid = pending_take(session)
    learner = getattr(user, "learner", None)
    if not openid or learner is None:
        return
    try:
        binding_create(learner, openid)
    except BindingRefused as refusal:
        messages.error(request, refusal.message, fail_silently=True)
        # wechat.login_page then sends the browser to the profile page, which says why.
        setattr(request, BIND_REFUSED_ATTRIBUTE, True)
    else:
        messages.success(request, _("已绑定您的微信，今后在微信中打开将自动登录。"), fail_silently=True)
