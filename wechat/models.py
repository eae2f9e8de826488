"""What the WeChat end keeps: who is bound to which openid, what WeChat already delivered, and
every notification sent (or tried) with its result."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import StreamField

from wechat.menu import MAX_BUTTONS, MENU_BLOCKS, menu_default_stream


class WechatBinding(models.Model):
    """One openid belongs to one learner, and a learner has at most one openid."""

    openid = models.CharField(_("微信 openid"), max_length=64, unique=True)
    learner = models.OneToOneField(
        "learners.Learner", on_delete=models.CASCADE, related_name="wechat_binding", verbose_name=_("学员")
    )
    bound_at = models.DateTimeField(_("绑定时间"), auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "微信绑定")
        verbose_name_plural = pgettext_lazy("model plural", "微信绑定")

    def __str__(self):
        return f"{self.learner_id} ↔ {self.openid}"


class DeliveredMessage(models.Model):
    """A message or event WeChat delivered, kept so a retry is answered without being processed
    again. ``key`` is the ``MsgId``, or ``FromUserName:CreateTime`` for an event."""

    key = models.CharField(_("消息标识"), max_length=128, unique=True)
    reply = models.TextField(_("回复"), blank=True)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "已收消息")
        verbose_name_plural = pgettext_lazy("model plural", "已收消息")

    def __str__(self):
        return self.key


class Notification(models.Model):
    """One template message to one learner, with every attempt's outcome."""

    class Kind(models.TextChoices):
        ASSIGNMENT = "assignment", _("班级布置了新课程")
        DUE_SOON = "due_soon", _("课程 3 天内到期")
        COURSE_COMPLETED = "course_completed", _("课程已结业")
        CERTIFICATE_ISSUED = "certificate_issued", _("证书已颁发")
        SUBSIDY_DECIDED = "subsidy_decided", _("补贴申请有结果")
        CLASS_OPENED = "class_opened", _("培训需求有了可报名的班级")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        SKIPPED = "skipped", _("未发送")

    learner = models.ForeignKey(
        "learners.Learner",
        on_delete=models.CASCADE,
        related_name="wechat_notifications",
        verbose_name=_("学员"),
    )
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    # What the notice is about, so the same notice is never queued twice (e.g. "assignment:12").
    subject = models.CharField(_("事由"), max_length=128)
    data = models.JSONField(_("内容"), default=dict)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "微信通知")
        verbose_name_plural = pgettext_lazy("model plural", "微信通知")
        constraints = [
            models.UniqueConstraint(fields=["learner", "kind", "subject"], name="wechat_notification_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="wechat_notification_due")]

    def __str__(self):
        return f"{self.kind} → {self.learner_id} ({self.status})"


@register_setting(icon="list-ul")
class WechatMenu(BaseGenericSetting):
    """The official account's custom menu, edited in Wagtail (Settings) and pushed to WeChat by
    ``manage.py wechat_push_menu`` (wechat.menu)."""

    buttons = StreamField(
        MENU_BLOCKS,
        max_num=MAX_BUTTONS,
        blank=True,
        default=menu_default_stream,
        verbose_name=_("菜单按钮"),
        help_text=_(
            "最多 3 个一级按钮，每个可带 1–5 个子按钮。改好后运行 manage.py wechat_push_menu 推送到微信；"
            "留空则推送默认菜单。"
        ),
    )

    panels = [FieldPanel("buttons")]

    class Meta:
        verbose_name = pgettext_lazy("model", "微信公众号菜单")
        verbose_name_plural = pgettext_lazy("model plural", "微信公众号菜单")
