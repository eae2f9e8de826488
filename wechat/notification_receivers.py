"""What is notified, and when: each receiver queues the notice in the transaction that records
the event, and the notice leaves once it commits (``wechat.notifications``).

- a module assigned to a class (an ``Assignment`` created, whoever creates it): its members;
- a course completed (``progress.signals.course_completed``, sent once per completion);
- a certificate issued (a ``Certificate`` created: at completion, or later when the learner
  becomes verified; certificates are written once and never edited).

"Due in 3 days" is not an event: the scheduled command ``wechat_remind_due`` finds it. A subsidy
decision will be notified by the subsidy service itself (``notify_subsidy_decision``).
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from archive.models import Certificate
from institutions.models import Assignment
from progress.signals import course_completed
from wechat import notifications


@receiver(post_save, sender=Assignment, dispatch_uid="wechat-notify-assignment")
def assignment_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        notifications.notify_assignment(instance)


@receiver(course_completed, dispatch_uid="wechat-notify-course-completed")
def course_completed_notify(sender, *, learner, course_id, completed_at, **kwargs):
    notifications.notify_course_completed(learner=learner, course_id=course_id, completed_at=completed_at)


@receiver(post_save, sender=Certificate, dispatch_uid="wechat-notify-certificate")
def certificate_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        notifications.notify_certificate_issued(instance)
