"""Remind learners by WeChat that a class assignment is due within 3 days.

For each assignment due in the next ``--days`` days (3 by default) and not yet past due, every
member of its class who is bound to WeChat and has not finished it (neither the course
completed nor the assignment's lessons done) is sent a "due soon" template message — once per
assignment and learner, however often the command runs (the notice's subject is unique). A
learner who binds WeChat later is reminded on the next run.

Run it once or a few times a day. From cron (09:00 every day)::

    0 9 * * *  cd /srv/zibo && .venv/bin/python manage.py wechat_remind_due

or a systemd timer (``docs/wechat.md`` has the service unit too)::

    [Timer]
    OnCalendar=*-*-* 09:00:00
    Persistent=true
"""

import datetime as dt

from django.core.management.base import BaseCommand
from django.db.models import Prefetch
from django.utils import timezone

from courses.models import Lesson
from institutions.models import Assignment, ClassMembership
from institutions.selectors import assignments_progress
from learners.models import Enrollment, Learner
from wechat.models import Notification, WechatBinding
from wechat.notifications import can_notify, notify_due_soon


def assignments_due_within(days: int, now: dt.datetime):
    return (
        Assignment.objects.filter(due_at__gt=now, due_at__lte=now + dt.timedelta(days=days))
        .select_related("course", "training_class")
        .prefetch_related(
            Prefetch(
                "lessons", queryset=Lesson.objects.only("id", "course_id", "duration").order_by("sort_order")
            )
        )
        .order_by("due_at", "pk")
    )


def learners_to_remind(assignment: Assignment) -> list[int]:
    """Bound members of the class, not reminded yet, who have not finished the assignment."""
    members = ClassMembership.objects.filter(training_class_id=assignment.training_class_id).values(
        "learner_id"
    )
    candidates = set(
        WechatBinding.objects.filter(learner_id__in=members).values_list("learner_id", flat=True)
    )
    candidates -= set(
        Notification.objects.filter(
            kind=Notification.Kind.DUE_SOON, subject=f"assignment:{assignment.pk}", learner_id__in=candidates
        ).values_list("learner_id", flat=True)
    )
    candidates -= set(
        Enrollment.objects.filter(
            course_id=assignment.course_id, learner_id__in=candidates, completed_at__isnull=False
        ).values_list("learner_id", flat=True)
    )
    remind = []
    for learner in Learner.objects.filter(pk__in=candidates).order_by("pk"):
        if not assignments_progress(learner, [assignment])[assignment.pk]["completed"]:
            remind.append(learner.pk)
    return remind


class Command(BaseCommand):
    help = "Remind bound learners by WeChat of class assignments due within 3 days (once each)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=3, help="Remind of assignments due within this many days."
        )

    def handle(self, *args, days, **options):
        if not can_notify(Notification.Kind.DUE_SOON):
            self.stdout.write(
                "WeChat is off or has no template for reminders (WECHAT_TEMPLATE_DUE_SOON): nothing to do."
            )
            return
        now = timezone.now()
        queued = 0
        assignments = list(assignments_due_within(days, now))
        for assignment in assignments:
            learner_ids = learners_to_remind(assignment)
            if learner_ids:
                queued += len(notify_due_soon(assignment, learner_ids))
        self.stdout.write(
            f"Due within {days} days: {len(assignments)} assignments, {queued} reminders queued."
        )
