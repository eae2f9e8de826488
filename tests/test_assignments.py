"""GET /api/v1/me/assignments/ and the "我的任务" page: the learner's class assignments with
their progress, soonest due first, in a number of queries that does not grow."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from institutions.services import assignment_create, class_member_add
from learners.models import Enrollment
from progress.models import LessonProgress
from tests.conftest import client_for
from tests.factories import LearnerFactory, make_course
from tests.institutions_factories import AssignmentFactory, TrainingClassFactory, member

pytestmark = pytest.mark.django_db


def progress(learner, lesson, seconds, completed=False):
    return LessonProgress.objects.create(
        learner=learner,
        lesson=lesson,
        credited_seconds=seconds,
        completed_at=timezone.now() if completed else None,
    )


def test_it_lists_the_assignments_of_the_learners_classes_with_the_contract_fields(learner, learner_api):
    course = make_course(title="养老护理员（五级）岗位技能", lessons=2, duration=600, required_hours=16)
    training_class = TrainingClassFactory(course=course, name="2026年养老护理员（五级）第3期")
    member(training_class, learner)
    due = timezone.now() + dt.timedelta(days=14)
    assignment = AssignmentFactory(training_class=training_class, due_at=due, note="两周内完成")
    first, second = course.lessons.order_by("sort_order")
    progress(learner, first, 600, completed=True)
    progress(learner, second, 120.5)
    AssignmentFactory()  # another class's: not the learner's

    response = learner_api.get("/api/v1/me/assignments/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == assignment.pk
    assert item["course"] == course.pk
    assert item["course_title"] == "养老护理员（五级）岗位技能"
    assert item["course_url"] == course.url
    assert item["class"] == {
        "id": training_class.pk,
        "name": "2026年养老护理员（五级）第3期",
        "institution": {"id": training_class.institution_id, "name": training_class.institution.name},
    }
    assert item["lessons"] == []
    assert item["note"] == "两周内完成"
    assert dt.datetime.fromisoformat(item["due_at"]) == due
    assert item["opens_at"]
    assert item["credited_seconds"] == 720.5
    assert item["required_seconds"] == 16 * 3600
    assert (item["completed_lessons"], item["total_lessons"]) == (1, 2)
    assert item["completed"] is False
    assert item["overdue"] is False


def test_an_assignment_of_chosen_lessons_counts_only_those(learner, learner_api):
    course = make_course(lessons=3, duration=300)
    training_class = TrainingClassFactory(course=course)
    member(training_class, learner)
    first, second, third = course.lessons.order_by("sort_order")
    assignment = AssignmentFactory(training_class=training_class)
    assignment.lessons.set([first, second])
    progress(learner, first, 300, completed=True)
    progress(learner, second, 290, completed=True)
    progress(learner, third, 100)

    item = learner_api.get("/api/v1/me/assignments/").json()["results"][0]

    assert sorted(item["lessons"]) == sorted([first.pk, second.pk])
    assert item["credited_seconds"] == 590
    assert item["required_seconds"] == 600
    assert (item["completed_lessons"], item["total_lessons"]) == (2, 2)
    assert item["completed"] is True
    assert item["overdue"] is False


def test_a_past_due_unfinished_assignment_is_overdue_and_a_finished_one_is_not(learner, learner_api):
    course = make_course(lessons=1)
    done_course = make_course(lessons=1)
    training_class = TrainingClassFactory(course=course)
    member(training_class, learner)
    past = timezone.now() - dt.timedelta(days=1)
    late = AssignmentFactory(
        training_class=training_class, opens_at=past - dt.timedelta(days=14), due_at=past
    )
    finished = AssignmentFactory(
        training_class=training_class,
        course=done_course,
        opens_at=past - dt.timedelta(days=14),
        due_at=past + dt.timedelta(hours=1),
    )
    progress(learner, done_course.lessons.get(), 600, completed=True)

    results = {item["id"]: item for item in learner_api.get("/api/v1/me/assignments/").json()["results"]}

    assert results[late.pk]["overdue"] is True and results[late.pk]["completed"] is False
    assert results[finished.pk]["overdue"] is False and results[finished.pk]["completed"] is True


def test_assignments_are_ordered_by_due_date_and_paginated(learner, learner_api):
    training_class = TrainingClassFactory()
    member(training_class, learner)
    now = timezone.now()
    for days in (9, 3, 6, 1):
        AssignmentFactory(
            training_class=training_class, course=make_course(), due_at=now + dt.timedelta(days=days)
        )

    first = learner_api.get("/api/v1/me/assignments/?page_size=3").json()
    second = learner_api.get(first["next"]).json()

    dues = [item["due_at"] for item in first["results"] + second["results"]]
    assert first["count"] == 4 and first["previous"] is None and len(second["results"]) == 1
    assert dues == sorted(dues)


def test_a_learner_without_classes_has_no_assignments(learner_api):
    body = learner_api.get("/api/v1/me/assignments/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_my_assignments_queries_do_not_grow_with_the_number_of_assignments(
    learner, learner_api, django_assert_max_num_queries
):
    def add_assignment(chosen: bool):
        course = make_course(lessons=2)
        training_class = TrainingClassFactory(course=course)
        member(training_class, learner)
        assignment = AssignmentFactory(training_class=training_class)
        if chosen:
            assignment.lessons.set([course.lessons.first()])
        for lesson in course.lessons.all():
            progress(learner, lesson, 60)

    add_assignment(chosen=False)
    add_assignment(chosen=True)
    learner_api.get("/api/v1/me/assignments/")  # warm Wagtail's site-root cache
    few = _queries(learner_api, "/api/v1/me/assignments/")
    for number in range(6):
        add_assignment(chosen=bool(number % 2))
    many = _queries(learner_api, "/api/v1/me/assignments/")

    assert many == few
    # token user, roles, the user's learner, count, the page of assignments with class,
    # institution and course, their chosen lessons, the whole-course assignments' lessons,
    # the learner's progress in them all, the request's site (course urls)
    with django_assert_max_num_queries(9):
        learner_api.get("/api/v1/me/assignments/")


def test_assigning_a_course_enrols_the_classs_learners_and_later_joiners(learner):
    course = make_course(open_enrolment=False)
    training_class = TrainingClassFactory(course=course)
    member(training_class, learner)

    assignment = assignment_create(
        training_class=training_class, course=course, due_at=timezone.now() + dt.timedelta(days=14)
    )
    latecomer = LearnerFactory()
    class_member_add(training_class=training_class, learner=latecomer)

    for someone in (learner, latecomer):
        enrollment = Enrollment.objects.get(learner=someone, course=course)
        assert enrollment.source == Enrollment.Source.CLASS
    body = client_for(latecomer.user).get("/api/v1/me/assignments/").json()
    assert [item["id"] for item in body["results"]] == [assignment.pk]


def test_the_my_assignments_page_lists_assignments_with_progress_and_a_resume_link(client, learner):
    course = make_course(title="化工总控工安全生产基础", lessons=1, duration=600, required_hours=1)
    training_class = TrainingClassFactory(course=course, name="2026年化工安全第1期")
    member(training_class, learner)
    AssignmentFactory(training_class=training_class)
    progress(learner, course.lessons.get(), 1800)
    client.force_login(learner.user)

    response = client.get("/institution/my-assignments/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "我的任务" in html and "化工总控工安全生产基础" in html and "2026年化工安全第1期" in html
    assert f'href="{course.url}"' in html
    assert "继续学习" in html
    assert "学时 0.5 / 1.0 小时" in html


def test_the_my_assignments_page_sends_anonymous_visitors_to_login_and_refuses_non_learners(client):
    from tests.factories import UserFactory

    response = client.get("/institution/my-assignments/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/institution/my-assignments/"

    client.force_login(UserFactory())
    assert client.get("/institution/my-assignments/").status_code == 403
