"""Template-message notifications to learners bound to the official account.

Each ``notify_*`` function queues one ``Notification`` row per learner and what it is about, and
hands it to the send task (``wechat.tasks``) once the caller's transaction commits, so a
rolled-back assignment or completion never notifies anyone, and the send never holds the
caller's locks.

What is queued, and what is not:

- Nothing at all when the WeChat end is off (no ``WECHAT_APP_ID``), when the kind has no
  template id (``WECHAT_TEMPLATES``), or when the learner has no openid bound: no row is
  written, so the table holds only notices that were really meant to leave.
- A notice is queued once per learner, kind and ``subject`` (a unique constraint): a second call
  about the same thing returns ``None`` and sends nothing.
- A queued notice that cannot be sent when its turn comes (the learner unbound meanwhile, the
  template id removed, WeChat switched off) is marked ``skipped`` with the reason.

The template data follows WeChat's classic layout (``first``, ``keyword1``…``keyword3``,
``remark``): the templates chosen in the official account's back office must have these fields.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wechat.client import enabled
from wechat.models import Notification, WechatBinding

logger = logging.getLogger(__name__)

Kind = Notification.Kind


def template_id(kind: str) -> str:
    return (settings.WECHAT_TEMPLATES or {}).get(kind, "") or ""


def can_notify(kind: str) -> bool:
    """Whether a notice of this kind can leave at all (WeChat on and a template id set)."""
    return enabled() and bool(template_id(kind))


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _fields(first: str, keywords: Iterable[str], remark: str) -> dict:
    data = {"first": {"value": first}}
    for number, value in enumerate(keywords, start=1):
        data[f"keyword{number}"] = {"value": str(value)}
    data["remark"] = {"value": remark}
    return data


def _queue(
    *, learner_ids: Iterable[int], kind: str, subject: str, data: dict, url: str
) -> list[Notification]:
    """Queue the notice for those of ``learner_ids`` who are bound; the rows created."""
    if not can_notify(kind):
        return []
    bound = WechatBinding.objects.filter(learner_id__in=list(learner_ids)).values_list(
        "learner_id", flat=True
    )
    created = []
    now = timezone.now()
    for learner_id in sorted(bound):
        notification, new = Notification.objects.get_or_create(
            learner_id=learner_id,
            kind=kind,
            subject=subject,
            defaults={"data": data, "url": absolute_url(url), "next_attempt_at": now},
        )
        if new:
            created.append(notification)
    if created:
        from wechat.tasks import notification_enqueue

        for notification in created:
            # robust: an enqueue that fails leaves the row pending for ``wechat_send_due``.
            transaction.on_commit(partial(notification_enqueue, notification.pk), robust=True)
    return created


def _chinese():
    """The notices are written in the platform's language whatever the request's language."""
    return translation.override(settings.LANGUAGE_CODE)


def notify_assignment(assignment) -> list[Notification]:
    """A module was assigned to a class: every bound member of the class is told."""
    if not can_notify(Kind.ASSIGNMENT):
        return []
    from institutions.models import ClassMembership

    members = ClassMembership.objects.filter(training_class_id=assignment.training_class_id).values_list(
        "learner_id", flat=True
    )
    course = assignment.course
    with _chinese():
        data = _fields(
            _("您的班级“%(name)s”布置了新的学习任务。") % {"name": assignment.training_class.name},
            [course.title, assignment.training_class.name, _when(assignment.due_at)],
            assignment.note or _("请在截止时间前完成学习，点击查看课程。"),
        )
    return _queue(
        learner_ids=members,
        kind=Kind.ASSIGNMENT,
        subject=f"assignment:{assignment.pk}",
        data=data,
        url=course.get_url() or "",
    )


def notify_due_soon(assignment, learner_ids: Iterable[int]) -> list[Notification]:
    """The assignment is due within days and these learners have not finished it
    (``wechat_remind_due`` decides who); once per assignment and learner."""
    course = assignment.course
    with _chinese():
        data = _fields(
            _("您的学习任务即将到期，请尽快完成。"),
            [course.title, assignment.training_class.name, _when(assignment.due_at)],
            _("点击继续学习。"),
        )
    return _queue(
        learner_ids=learner_ids,
        kind=Kind.DUE_SOON,
        subject=f"assignment:{assignment.pk}",
        data=data,
        url=course.get_url() or "",
    )


def notify_course_completed(*, learner, course_id: int, completed_at) -> list[Notification]:
    if not can_notify(Kind.COURSE_COMPLETED):
        return []
    from courses.models import CoursePage

    course = CoursePage.objects.filter(pk=course_id).only("title", "required_hours").first()
    if course is None:
        return []
    with _chinese():
        data = _fields(
            _("恭喜您完成课程学习！"),
            [course.title, _when(completed_at), _("%(hours)s 学时") % {"hours": course.required_hours}],
            _("学习记录已存入您的培训档案，点击查看。"),
        )
    return _queue(
        learner_ids=[learner.pk],
        kind=Kind.COURSE_COMPLETED,
        subject=f"course:{course_id}",
        data=data,
        url=reverse("my-archive"),
    )


def notify_certificate_issued(certificate) -> list[Notification]:
    if not can_notify(Kind.CERTIFICATE_ISSUED):
        return []
    entry = certificate.entry
    with _chinese():
        data = _fields(
            _("您的培训证书已颁发。"),
            [entry.course_title, certificate.number, _when(certificate.issued_at)],
            _("点击查看证书，凭证书编号可在线核验。"),
        )
    return _queue(
        learner_ids=[entry.learner_id],
        kind=Kind.CERTIFICATE_ISSUED,
        subject=f"certificate:{certificate.number}",
        data=data,
        url=reverse("certificate-verify", args=[certificate.number]),
    )


def notify_subsidy_decision(
    learner,
    claim_id,
    decision: str,
    *,
    title: str,
    approved: bool,
    amount=None,
    reason: str = "",
    decided_at: dt.datetime | None = None,
    url: str = "",
) -> list[Notification]:
    """The hook for the coming subsidy service: call it in the transaction that records a
    decision on a claim (the notice leaves after the commit).

    - ``claim_id``: the claim's id; ``decision`` a short code of the decision (e.g.
      ``"approved"``, ``"rejected"``, or ``"approved-2"`` for a decision made again on appeal):
      the learner is told once per claim and decision.
    - ``title``: what the claim is for, as the learner knows it (e.g. the course or the
      certificate); ``approved``: whether it was granted; ``amount``: the sum granted (yuan);
      ``reason``: why, shown to the learner (say it when refused); ``url``: the claim's page
      (a path or an absolute URL).
    """
    if not can_notify(Kind.SUBSIDY_DECIDED):
        return []
    with _chinese():
        outcome = _("已通过") if approved else _("未通过")
        amount_text = _("%(amount)s 元") % {"amount": amount} if amount is not None else "—"
        data = _fields(
            _("您的补贴申请有了审核结果：%(outcome)s。") % {"outcome": outcome},
            [title, outcome, amount_text, _when(decided_at or timezone.now())],
            reason or _("点击查看详情。"),
        )
    return _queue(
        learner_ids=[learner.pk],
        kind=Kind.SUBSIDY_DECIDED,
        subject=f"subsidy:{claim_id}:{decision}",
        data=data,
        url=url,
    )


def notify_class_opened(training_class, learner_ids: Iterable[int], *, url: str = "") -> list[Notification]:
    """A class answering their training demand was approved (五单式 接单, ``orders.services``):
    the bound workers whose demand it matched are told, once per class."""
    if not can_notify(Kind.CLASS_OPENED):
        return []
    with _chinese():
        dates = _("%(starts)s 至 %(ends)s") % {
            "starts": training_class.starts_on.strftime("%Y-%m-%d"),
            "ends": training_class.ends_on.strftime("%Y-%m-%d"),
        }
        data = _fields(
            _("您提交的培训需求有了可报名的班级。"),
            [training_class.name, training_class.institution.name, dates],
            _("名额有限，点击查看并报名。"),
        )
    return _queue(
        learner_ids=learner_ids,
        kind=Kind.CLASS_OPENED,
        subject=f"class:{training_class.pk}",
        data=data,
        url=url,
    )
