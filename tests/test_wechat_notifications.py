"""Template-message notifications (wechat.notifications, wechat.tasks): queued for bound learners
when a module is assigned, a course completed, a certificate issued; sent to a stand-in of
WeChat's servers; retried with back-off after WeChat errors; recorded on each row."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from archive.models import Certificate
from archive.services import certificates_issue_held
from institutions.services import assignment_create
from learners.models import Enrollment
from progress.completion import course_completion_record
from tests.factories import LearnerFactory, enroll, make_course
from tests.institutions_factories import AssignmentFactory, TrainingClassFactory, member
from wechat import notifications, tasks
from wechat.models import Notification, WechatBinding

pytestmark = pytest.mark.django_db

SEND = "cgi-bin/message/template/send"
TEMPLATES = {
    "assignment": "tpl-assignment",
    "due_soon": "tpl-due-soon",
    "course_completed": "tpl-completed",
    "certificate_issued": "tpl-certificate",
    "subsidy_decided": "tpl-subsidy",
}


@pytest.fixture
def templates(settings):
    settings.WECHAT_TEMPLATES = dict(TEMPLATES)
    return settings.WECHAT_TEMPLATES


@pytest.fixture
def on(wechat, templates, django_capture_on_commit_callbacks):
    """WeChat on, against the stand-in; ``on.commit()`` runs what waits for the commit."""

    class On:
        standin = wechat

        @staticmethod
        def commit():
            return django_capture_on_commit_callbacks(execute=True)

        @staticmethod
        def sent(template):
            return [body for body in wechat.sent_templates if body["template_id"] == TEMPLATES[template]]

    return On


def bind(learner, openid):
    WechatBinding.objects.create(learner=learner, openid=openid)
    return learner


def complete(learner, course):
    enroll(learner, course)
    with transaction.atomic():
        course_completion_record(learner=learner, course_id=course.pk, completed_at=timezone.now())


def test_an_assignment_notifies_its_bound_class_members_and_no_one_else(on, settings):
    course = make_course(title="养老护理员（五级）岗位技能")
    training_class = TrainingClassFactory(course=course, name="2026年养老护理员第3期")
    bound = bind(LearnerFactory(), "o-bound-1")
    unbound = LearnerFactory()
    bind(LearnerFactory(), "o-not-a-member")
    member(training_class, bound)
    member(training_class, unbound)
    due = timezone.now() + dt.timedelta(days=14)

    with on.commit():
        assignment = assignment_create(
            training_class=training_class, course=course, due_at=due, note="两周内完成"
        )

    [sent] = on.standin.sent_templates
    assert sent["touser"] == "o-bound-1"
    assert sent["template_id"] == "tpl-assignment"
    assert sent["url"] == settings.SITE_URL + course.url
    assert sent["data"]["keyword1"]["value"] == "养老护理员（五级）岗位技能"
    assert sent["data"]["keyword2"]["value"] == "2026年养老护理员第3期"
    assert sent["data"]["keyword3"]["value"] == timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    assert sent["data"]["remark"]["value"] == "两周内完成"
    notification = Notification.objects.get()
    assert (notification.learner, notification.kind, notification.subject) == (
        bound,
        "assignment",
        f"assignment:{assignment.pk}",
    )
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1 and notification.sent_at and notification.last_error == ""
    assert notification.data == sent["data"]


def test_a_completed_course_and_its_certificate_are_notified(on, settings):
    course = make_course(title="电工（五级）")
    learner = bind(LearnerFactory(verified=True), "o-done")

    with on.commit():
        complete(learner, course)

    [completed] = on.sent("course_completed")
    assert completed["touser"] == "o-done"
    assert completed["data"]["keyword1"]["value"] == "电工（五级）"
    assert completed["url"] == settings.SITE_URL + "/me/archive/"
    [certificate] = on.sent("certificate_issued")
    number = Certificate.objects.get(entry__learner=learner).number
    assert certificate["data"]["keyword2"]["value"] == number
    assert certificate["url"] == f"{settings.SITE_URL}/certificates/{number}/"
    assert set(Notification.objects.values_list("kind", "status")) == {
        ("course_completed", "sent"),
        ("certificate_issued", "sent"),
    }


def test_a_certificate_held_until_verification_is_notified_when_issued(on):
    course = make_course()
    learner = bind(LearnerFactory(verified=False), "o-later")
    with on.commit():
        complete(learner, course)
    assert on.sent("course_completed") and not on.sent("certificate_issued")

    learner.__class__.objects.filter(pk=learner.pk).update(verified=True)
    with on.commit(), transaction.atomic():
        [issued] = certificates_issue_held(learner=learner)

    [sent] = on.sent("certificate_issued")
    assert sent["touser"] == "o-later" and sent["data"]["keyword2"]["value"] == issued.number


def test_a_failed_send_is_retried_with_back_off_and_sent_by_the_command(on):
    learner = bind(LearnerFactory(), "o-retry")
    course = make_course()
    on.standin.fail_next(SEND, -1, times=2)  # "system busy", twice
    before = timezone.now()

    with on.commit():
        notifications.notify_course_completed(learner=learner, course_id=course.pk, completed_at=before)

    notification = Notification.objects.get()
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 1
    assert notification.last_error.startswith("-1 ")
    assert 59 <= (notification.next_attempt_at - before).total_seconds() <= 65
    assert on.standin.sent_templates == []

    call_command("wechat_send_due")  # not due yet: nothing is tried
    assert len(on.standin.calls_to(SEND)) == 1

    Notification.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))  # a minute on
    call_command("wechat_send_due")
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 2)
    assert 119 <= (notification.next_attempt_at - timezone.now()).total_seconds() <= 121  # doubled

    Notification.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    call_command("wechat_send_due")
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 3, "")
    assert notification.sent_at and notification.next_attempt_at is None
    assert [body["touser"] for body in on.standin.sent_templates] == ["o-retry"]


def test_a_notice_that_keeps_failing_is_failed_after_the_last_attempt(on):
    learner = bind(LearnerFactory(), "o-busy")
    on.standin.fail_next(SEND, 45009, times=tasks.MAX_ATTEMPTS)
    with on.commit():
        [notification] = notifications.notify_course_completed(
            learner=learner, course_id=make_course().pk, completed_at=timezone.now()
        )
    for _attempt in range(tasks.MAX_ATTEMPTS - 1):
        Notification.objects.update(next_attempt_at=timezone.now())
        tasks.notification_send(notification.pk)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == tasks.MAX_ATTEMPTS and notification.last_error.startswith("45009")
    assert notification.next_attempt_at is None
    assert len(on.standin.calls_to(SEND)) == tasks.MAX_ATTEMPTS


@pytest.mark.parametrize("errcode", [43004, 40003])
def test_an_unsubscribed_follower_or_invalid_openid_fails_at_once_without_retry(on, errcode):
    learner = bind(LearnerFactory(), "o-gone")
    on.standin.fail_next(SEND, errcode)
    with on.commit():
        notifications.notify_course_completed(
            learner=learner, course_id=make_course().pk, completed_at=timezone.now()
        )

    notification = Notification.objects.get()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1 and notification.last_error.startswith(str(errcode))
    assert notification.next_attempt_at is None
    Notification.objects.update(next_attempt_at=timezone.now() - dt.timedelta(hours=1))
    call_command("wechat_send_due")
    assert len(on.standin.calls_to(SEND)) == 1


def test_a_retry_is_deferred_on_a_backend_that_can_defer(on, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    learner = bind(LearnerFactory(), "o-deferred")
    with on.commit():
        [notification] = notifications.notify_course_completed(
            learner=learner, course_id=make_course().pk, completed_at=timezone.now()
        )

    def sends():
        return [r for r in default_task_backend.results if r.task.name == tasks.notification_send_task.name]

    [queued] = sends()  # queued for the worker, not sent here
    assert queued.args == [notification.pk] and queued.task.run_after is None
    assert on.standin.sent_templates == []

    on.standin.fail_next(SEND, -1)
    assert tasks.notification_send(notification.pk) == "retry"  # the worker runs it

    notification.refresh_from_db()
    retry = sends()[-1]
    assert retry.args == [notification.pk]
    assert retry.task.run_after == notification.next_attempt_at


def test_the_same_notice_is_never_queued_twice(on):
    learner = bind(LearnerFactory(), "o-once")
    course = make_course()
    for _time in range(2):
        with on.commit():
            notifications.notify_course_completed(
                learner=learner, course_id=course.pk, completed_at=timezone.now()
            )
    assignment = AssignmentFactory(training_class=TrainingClassFactory(course=course))
    member(assignment.training_class, learner)
    with on.commit():
        first = notifications.notify_assignment(assignment)
        second = notifications.notify_assignment(assignment)

    assert len(first) == 1 and second == []
    assert Notification.objects.filter(learner=learner).count() == 2
    assert len(on.standin.sent_templates) == 2


def test_a_learner_unbound_before_the_send_is_skipped(on, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    learner = bind(LearnerFactory(), "o-left")
    with on.commit():
        [notification] = notifications.notify_course_completed(
            learner=learner, course_id=make_course().pk, completed_at=timezone.now()
        )
    WechatBinding.objects.filter(learner=learner).delete()

    assert tasks.notification_send(notification.pk) == "skipped"
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SKIPPED and notification.attempts == 0
    assert on.standin.sent_templates == []


def test_due_soon_reminders_go_once_to_bound_learners_who_have_not_finished(on):
    course = make_course(title="中式烹调师（五级）")
    soon = AssignmentFactory(
        training_class=TrainingClassFactory(course=course), due_at=timezone.now() + dt.timedelta(days=2)
    )
    later = AssignmentFactory(
        training_class=TrainingClassFactory(course=course), due_at=timezone.now() + dt.timedelta(days=10)
    )
    past = AssignmentFactory(
        training_class=TrainingClassFactory(course=course),
        opens_at=timezone.now() - dt.timedelta(days=9),
        due_at=timezone.now() - dt.timedelta(hours=1),
    )
    studying = bind(LearnerFactory(), "o-studying")
    finished = bind(LearnerFactory(), "o-finished")
    unbound = LearnerFactory()
    for learner in (studying, finished, unbound):
        member(soon.training_class, learner)
        member(later.training_class, learner)
        member(past.training_class, learner)
    enroll(studying, course)
    Enrollment.objects.filter(pk=enroll(finished, course).pk).update(completed_at=timezone.now())

    with on.commit():
        call_command("wechat_remind_due")
        call_command("wechat_remind_due")

    [sent] = on.sent("due_soon")
    assert sent["touser"] == "o-studying"
    assert sent["data"]["keyword1"]["value"] == "中式烹调师（五级）"
    assert sent["data"]["keyword3"]["value"] == timezone.localtime(soon.due_at).strftime("%Y-%m-%d %H:%M")
    assert list(Notification.objects.filter(kind="due_soon").values_list("subject", "learner")) == [
        (f"assignment:{soon.pk}", studying.pk)
    ]


def test_the_subsidy_hook_notifies_a_decision_once(on, settings):
    learner = bind(LearnerFactory(), "o-subsidy")
    with on.commit():
        notifications.notify_subsidy_decision(
            learner, 42, "approved", title="电工（五级）培训补贴", approved=True, amount=800, url="/me/"
        )
        notifications.notify_subsidy_decision(
            learner, 42, "approved", title="电工（五级）培训补贴", approved=True, amount=800, url="/me/"
        )

    [sent] = on.sent("subsidy_decided")
    assert sent["data"]["keyword2"]["value"] == "已通过" and sent["data"]["keyword3"]["value"] == "800 元"
    assert sent["url"] == settings.SITE_URL + "/me/"


def test_with_wechat_off_nothing_is_queued_and_nothing_fails(
    templates, settings, django_capture_on_commit_callbacks
):
    settings.WECHAT_APP_ID = ""
    course = make_course()
    learner = bind(LearnerFactory(verified=True), "o-off")
    training_class = TrainingClassFactory(course=course)
    member(training_class, learner)

    with django_capture_on_commit_callbacks(execute=True):
        assignment_create(
            training_class=training_class, course=course, due_at=timezone.now() + dt.timedelta(days=1)
        )
        complete(learner, course)
    call_command("wechat_remind_due")
    call_command("wechat_send_due")

    assert not Notification.objects.exists()


def test_a_kind_without_a_template_id_is_not_queued(on, settings):
    settings.WECHAT_TEMPLATES = {**TEMPLATES, "course_completed": ""}
    learner = bind(LearnerFactory(), "o-no-template")
    with on.commit():
        queued = notifications.notify_course_completed(
            learner=learner, course_id=make_course().pk, completed_at=timezone.now()
        )
    assert queued == [] and not Notification.objects.exists()


# The worker opens and closes its own connections, as a worker process does: no test transaction.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_database_backend_a_worker_process_sends_what_was_queued(on, settings):
    """Production's shape: the notice waits in the database until the task worker sends it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    course = make_course(title="电工（四级）")
    learner = bind(LearnerFactory(), "o-worker-1")
    with on.commit():
        complete(learner, course)
    notice = Notification.objects.get(learner=learner, kind="course_completed")
    assert notice.status == "pending"
    assert on.sent("course_completed") == []
    assert DBTaskResult.objects.filter(task_path__startswith="wechat.tasks.").count() == 1

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    notice.refresh_from_db()
    assert notice.status == "sent"
    assert [body["touser"] for body in on.sent("course_completed")] == ["o-worker-1"]
