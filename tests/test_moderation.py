"""Publishing through Wagtail's moderation workflow: an editor drafts and submits, a reviewer
(the Moderators group) approves; nothing is public before that."""

import pytest
from django.contrib.auth.models import Group

from courses.models import CoursePage
from tests.factories import UserFactory, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    user = UserFactory(username="editor-a", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def reviewer():
    user = UserFactory(username="reviewer-a", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def listed(api) -> list[int]:
    return [course["id"] for course in api.get("/api/v1/courses/").json()["results"]]


def test_a_submitted_course_goes_live_only_when_a_reviewer_approves(api, editor, reviewer):
    course = make_course(title="玻璃加工工岗位技能", publish=False)
    course.save_revision(user=editor)
    workflow = course.get_workflow()
    assert workflow is not None and workflow.name == "内容审核"

    workflow.start(course, editor)
    course.refresh_from_db()
    assert course.workflow_in_progress
    assert not CoursePage.objects.get(pk=course.pk).live
    assert course.pk not in listed(api)

    task_state = course.current_workflow_task_state
    task = task_state.task.specific
    assert task.get_actions(course, editor) == []  # an editor cannot approve their own work
    assert "approve" in [action[0] for action in task.get_actions(course, reviewer)]

    task.on_action(task_state, reviewer, "approve")
    assert CoursePage.objects.get(pk=course.pk).live
    assert course.pk in listed(api)


def test_a_rejected_course_stays_unpublished(api, editor, reviewer):
    course = make_course(publish=False)
    course.save_revision(user=editor)
    course.get_workflow().start(course, editor)
    course.refresh_from_db()
    task_state = course.current_workflow_task_state
    task_state.task.specific.on_action(task_state, reviewer, "reject")
    assert not CoursePage.objects.get(pk=course.pk).live
    assert course.pk not in listed(api)


def test_an_editor_can_edit_course_pages_in_the_admin(client, editor):
    course = make_course()
    client.force_login(editor)
    assert client.get(f"/admin/pages/{course.pk}/edit/").status_code == 200
