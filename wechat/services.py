"""Binding a WeChat openid to a learner, and unbinding it.

One openid belongs to one learner and a learner has at most one openid (the table's unique
constraints say the same). A binding that would break either rule is refused with a message the
learner can act on; nothing is ever re-bound silently: a learner bound to another WeChat unbinds
it first, from their profile page.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from wechat.models import WechatBinding


class BindingRefused(Exception):
    """A binding that would give an openid two learners, or a learner two openids."""

    OPENID_TAKEN = "openid_taken"
    LEARNER_BOUND = "learner_bound"

    messages = {
        OPENID_TAKEN: _("这个微信已绑定其他学员账号，一个微信只能绑定一个账号。"),
        LEARNER_BOUND: _("您的账号已绑定另一个微信。如需改绑，请先在“个人资料”中解除绑定。"),
    }

    def __init__(self, code: str):
        self.code = code
        self.message = self.messages[code]
        super().__init__(code)


def binding_create(learner, openid: str) -> WechatBinding:
    """Bind ``openid`` to ``learner``; binding it again to the same learner changes nothing."""
    if not openid:
        raise ValueError("an openid is required")
    try:
        with transaction.atomic():
            existing = WechatBinding.objects.select_for_update().filter(openid=openid).first()
            if existing is not None:
                if existing.learner_id == learner.pk:
                    return existing
                raise BindingRefused(BindingRefused.OPENID_TAKEN)
            if WechatBinding.objects.filter(learner=learner).exists():
                raise BindingRefused(BindingRefused.LEARNER_BOUND)
            return WechatBinding.objects.create(learner=learner, openid=openid)
    except IntegrityError:
        # Another request bound the openid or the learner between the checks and the insert.
        if WechatBinding.objects.filter(openid=openid, learner=learner).exists():
            return WechatBinding.objects.get(openid=openid)
        code = (
            BindingRefused.OPENID_TAKEN
            if WechatBinding.objects.filter(openid=openid).exists()
            else BindingRefused.LEARNER_BOUND
        )
        raise BindingRefused(code) from None


def binding_remove(learner) -> bool:
    """Unbind the learner's openid; False when there was none."""
    deleted, _rows = WechatBinding.objects.filter(learner=learner).delete()
    return bool(deleted)


def binding_learner(openid: str):
    """The learner bound to ``openid`` (with their user), or None."""
    binding = WechatBinding.objects.select_related("learner__user").filter(openid=openid).first()
    return binding.learner if binding else None


def openid_masked(openid: str) -> str:
    """An openid as pages may show it: never in full (o6_b****Wxyz)."""
    if not openid:
        return ""
    if len(openid) <= 8:
        return "*" * len(openid)
    return openid[:4] + "****" + openid[-4:]
