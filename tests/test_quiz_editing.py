"""Editors build quiz lessons: the question bank and quiz screens (题库与测验) by persona, through
the moderation workflow the other content uses; and the quiz page and the quiz agree on the score
scale (the quiz's points: 满分 = its questions' points, 及格 = the fewest points that pass)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from wagtail.models import Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from quizzes.models import Question, QuestionKind, Quiz, QuizQuestion, pass_points
from quizzes.services import attempt_start, attempt_submit
from tests.factories import LearnerFactory, OccupationFactory, enroll, make_course
from tests.institutions_factories import InstitutionFactory, in_group, staff_of
from tests.quizzes_factories import QuestionFactory, correct_ids, make_quiz, quiz_lesson
from tests.teachers_factories import editor_user, reviewer_user

pytestmark = pytest.mark.django_db

ADMIN = "/admin/snippets/quizzes"
XHR = {"X-Requested-With": "XMLHttpRequest"}
SCREENS = ("question", "quiz")


# --- personas -------------------------------------------------------------------------------------


@pytest.fixture
def editor():
    return editor_user(first_name="编辑")


@pytest.fixture
def reviewer():
    return reviewer_user(first_name="审核员")


def outsiders():
    """Roles that must not reach the screens: a learner, institution staff, the bureau (its
    group reads everything but edits no content), and a CMS user without the quiz permissions."""
    cms_only = in_group("CMS only", is_staff=True)
    cms_only.groups.get().permissions.add(Permission.objects.get(codename="access_admin"))
    return {
        "learner": LearnerFactory().user,
        "institution staff": staff_of(InstitutionFactory()),
        "bureau": in_group("Bureau", is_staff=True),
        "cms user without quiz permissions": cms_only,
    }


def question_data(occupation=None, **overrides) -> dict:
    occupation = occupation or OccupationFactory()
    data = {
        "occupation": occupation.pk,
        "level": "",
        "kind": QuestionKind.SINGLE,
        "stem": "发现老年人跌倒后，首先应该怎么做？",
        "explanation": "先评估伤情，不急于搬动。",
        "true_false_answer": "",
        "choices": inline_formset(
            [
                {"text": "立即扶起", "is_correct": False, "ORDER": 0},
                {"text": "先判断意识与伤情", "is_correct": True, "ORDER": 1},
            ]
        ),
    }
    return nested_form_data(data | overrides)


def quiz_data(lesson, entries, **overrides) -> dict:
    """``entries``: [(question, points), ...]."""
    data = {
        "title": "跌倒处置测验",
        "lesson": lesson.pk if lesson else "",
        "pass_mark": 60,
        "max_attempts": 3,
        "time_limit_minutes": "",
        "shuffle_questions": "on",
        "quiz_questions": inline_formset(
            [{"question": q.pk, "points": points, "ORDER": i} for i, (q, points) in enumerate(entries)]
        ),
    }
    return nested_form_data(data | overrides)


def approve(client, model: str, obj) -> None:
    obj.refresh_from_db()
    task_state = obj.current_workflow_task_state
    url = f"{ADMIN}/{model}/workflow/action/{obj.pk}/approve/{task_state.pk}/"
    response = client.post(url, {"comment": ""})
    assert response.status_code == 302, response.content.decode()[:1000]


# --- who opens the screens -----------------------------------------------------------------------


def test_the_groups_hold_the_quiz_permissions_and_quizzes_go_through_the_default_workflow():
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    moderators = set(Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True))
    for model in SCREENS:
        assert {f"add_{model}", f"change_{model}", f"view_{model}"} <= editors
        assert f"publish_{model}" not in editors and f"delete_{model}" not in editors
        assert {f"add_{model}", f"change_{model}", f"delete_{model}", f"publish_{model}"} <= moderators
    for obj in (QuestionFactory(), make_quiz()):
        workflow = obj.get_workflow()
        assert workflow is not None and workflow.active and workflow.name == "内容审核"


@pytest.mark.parametrize("persona", ["editor", "reviewer"])
def test_editors_and_reviewers_open_the_question_bank_and_quiz_screens(client, persona, request):
    question = QuestionFactory(stem="压疮预防：多久翻身一次？")
    quiz = make_quiz(title="压疮预防测验", questions=[question])
    client.force_login(request.getfixturevalue(persona))

    menu = client.get("/admin/").content.decode()  # the sidebar's JSON escapes the Chinese label
    assert '"name": "quizzes"' in menu
    assert f'"url": "{ADMIN}/question/"' in menu and f'"url": "{ADMIN}/quiz/"' in menu
    for model, obj, shown in (("question", question, "压疮预防"), ("quiz", quiz, "压疮预防测验")):
        listing = client.get(f"{ADMIN}/{model}/")
        assert listing.status_code == 200
        assert shown in listing.content.decode()
        assert client.get(f"{ADMIN}/{model}/add/").status_code == 200
        assert client.get(f"{ADMIN}/{model}/edit/{obj.pk}/").status_code == 200


def test_learners_staff_and_the_bureau_cannot_open_the_screens(client):
    """Without admin access Wagtail sends them to its login; with admin access but no quiz
    permission it refuses (PermissionDenied, answered by Wagtail as a redirect to the dashboard
    with an error message). The admin's own requests (XMLHttpRequest) get the bare 403. Either
    way nothing is shown or saved."""
    question = QuestionFactory()
    quiz = make_quiz(questions=[question])
    for name, user in outsiders().items():
        client.force_login(user)
        expected = "/admin/" if name == "cms user without quiz permissions" else "/admin/login/"
        for model, obj in (("question", question), ("quiz", quiz)):
            for url in (f"{ADMIN}/{model}/", f"{ADMIN}/{model}/add/", f"{ADMIN}/{model}/edit/{obj.pk}/"):
                response = client.get(url)
                assert response.status_code == 302, (name, url)
                assert response.url.split("?")[0] == expected, (name, url, response.url)
                assert client.get(url, headers=XHR).status_code == 403, (name, url)
        refused = client.post(f"{ADMIN}/question/add/", question_data() | {"action-submit": "1"})
        assert refused.status_code == 302, name
        assert Question.objects.count() == 1, name
        edited = client.post(
            f"{ADMIN}/quiz/edit/{quiz.pk}/", {"title": "被改掉的测验", "action-publish": "1"}
        )
        assert edited.status_code == 302, name
        quiz.refresh_from_db()
        assert quiz.title != "被改掉的测验"
        client.logout()


def test_the_question_chooser_is_for_quiz_builders_only(client, editor, reviewer):
    """Wagtail opens snippet choosers to any admin user; the bank's chooser refuses one without
    the quiz permissions (the modal's request gets a 403), as it refuses everyone else."""
    QuestionFactory(stem="题库中的一道题")
    for name, user in outsiders().items():
        client.force_login(user)
        for url in (
            "/admin/snippets/choose/quizzes/question/",
            "/admin/snippets/choose/quizzes/question/results/",
        ):
            assert client.get(url, headers=XHR).status_code == 403, (name, url)
            assert client.get(url).status_code == 302, (name, url)
    for user in (editor, reviewer):
        client.force_login(user)
        response = client.get("/admin/snippets/choose/quizzes/question/", headers=XHR)
        assert response.status_code == 200
        assert "题库中的一道题" in response.json()["html"]


# --- the review workflow: questions ------------------------------------------------------------


def test_an_editor_submits_a_question_and_a_reviewer_approves_it(client, editor, reviewer):
    client.force_login(editor)
    response = client.post(f"{ADMIN}/question/add/", question_data() | {"action-submit": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    question = Question.objects.get()
    assert (question.live, question.workflow_in_progress) == (False, True)
    assert list(question.choices.values_list("text", "is_correct")) == [
        ("立即扶起", False),
        ("先判断意识与伤情", True),
    ]
    assert Revision.objects.for_instance(question).count() == 1

    # The editor cannot approve their own work; the reviewer can.
    task_state = question.current_workflow_task_state
    refused = client.post(f"{ADMIN}/question/workflow/action/{question.pk}/approve/{task_state.pk}/")
    assert (refused.status_code, refused.url) == (302, "/admin/")  # Wagtail's PermissionDenied
    question.refresh_from_db()
    assert question.live is False

    client.force_login(reviewer)
    assert "发现老年人跌倒后" in client.get("/admin/").content.decode()  # awaiting their review
    approve(client, "question", question)
    question.refresh_from_db()
    assert (question.live, question.workflow_in_progress) == (True, False)


def test_an_editor_cannot_publish_or_delete_directly(client, editor):
    client.force_login(editor)
    client.post(f"{ADMIN}/question/add/", question_data() | {"action-publish": "1"})
    assert not Question.objects.filter(live=True).exists()
    live = QuestionFactory()
    for method in (client.get, client.post):
        response = method(f"{ADMIN}/question/delete/{live.pk}/")
        assert (response.status_code, response.url) == (302, "/admin/")  # Wagtail's PermissionDenied
    assert Question.objects.filter(pk=live.pk).exists()


def test_an_edit_of_a_live_question_waits_for_approval(client, editor, reviewer, learner):
    question = QuestionFactory(kind=QuestionKind.SINGLE, choices=[("扶起", True), ("评估伤情", False)])
    first, second = question.choices.order_by("sort_order")
    data = question_data(
        question.occupation,
        stem="跌倒后首先怎么做？（修订）",
        choices=inline_formset(
            [
                {"id": first.pk, "text": "扶起", "is_correct": False, "ORDER": 0},
                {"id": second.pk, "text": "评估伤情", "is_correct": True, "ORDER": 1},
            ],
            initial=2,
        ),
    )
    client.force_login(editor)
    assert (
        client.post(f"{ADMIN}/question/edit/{question.pk}/", data | {"action-submit": "1"}).status_code == 302
    )

    question.refresh_from_db()
    assert question.live and question.has_unpublished_changes
    assert question.stem != "跌倒后首先怎么做？（修订）"  # learners still get the published version
    assert list(question.choices.values_list("is_correct", flat=True)) == [True, False]

    client.force_login(reviewer)
    approve(client, "question", question)
    question.refresh_from_db()
    assert question.stem == "跌倒后首先怎么做？（修订）"
    assert list(question.choices.values_list("pk", "is_correct")) == [(first.pk, False), (second.pk, True)]


# --- the review workflow: quizzes ---------------------------------------------------------------


@pytest.fixture
def enrolled_lesson(learner):
    course = make_course(lessons=1)
    enroll(learner, course)
    return quiz_lesson(course)


def test_an_editor_builds_and_submits_a_quiz_that_learners_get_once_approved(
    client, editor, reviewer, learner, learner_api, enrolled_lesson
):
    bank = [QuestionFactory(), QuestionFactory(kind=QuestionKind.TRUE_FALSE)]
    client.force_login(editor)
    response = client.post(
        f"{ADMIN}/quiz/add/",
        quiz_data(enrolled_lesson, [(bank[0], 3), (bank[1], 2)]) | {"action-submit": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    quiz = Quiz.objects.get()
    assert (quiz.lesson, quiz.live, quiz.workflow_in_progress) == (enrolled_lesson, False, True)
    assert list(quiz.quiz_questions.values_list("question", "points")) == [(bank[0].pk, 3), (bank[1].pk, 2)]

    # A quiz under review is no quiz yet for the lesson.
    summary = f"/api/v1/quizzes/lessons/{enrolled_lesson.pk}/"
    assert learner_api.get(summary).status_code == 404
    assert learner_api.post(f"{summary}attempts/", format="json").status_code == 404

    client.force_login(reviewer)
    approve(client, "quiz", quiz)
    quiz.refresh_from_db()
    assert quiz.live
    body = learner_api.get(summary).json()
    assert (body["title"], body["max_points"], body["pass_points"]) == ("跌倒处置测验", 5, 3)


def test_a_quiz_offers_and_accepts_published_questions_only(client, editor, enrolled_lesson):
    live = QuestionFactory(stem="已发布的题目")
    draft = QuestionFactory(stem="尚在草稿的题目")
    Question.objects.filter(pk=draft.pk).update(live=False)
    client.force_login(editor)

    assert client.get(f"{ADMIN}/quiz/add/").status_code == 200
    chooser = client.get("/admin/snippets/choose/quizzes/question/").json()["html"]
    assert "已发布的题目" in chooser
    assert "尚在草稿的题目" not in chooser

    response = client.post(f"{ADMIN}/quiz/add/", quiz_data(enrolled_lesson, [(live, 1), (draft, 1)]))
    assert response.status_code == 200
    assert not Quiz.objects.exists()


def test_an_edit_of_a_live_quiz_reaches_learners_only_when_approved(
    client, editor, reviewer, learner_api, enrolled_lesson
):
    question = QuestionFactory()
    quiz = make_quiz(lesson=enrolled_lesson, questions=[question], points=[4], pass_mark=60)
    summary = f"/api/v1/quizzes/lessons/{enrolled_lesson.pk}/"
    client.force_login(editor)
    data = quiz_data(enrolled_lesson, [], title="改过的测验", pass_mark=80)
    entry = quiz.quiz_questions.get()
    data |= nested_form_data(
        {
            "quiz_questions": inline_formset(
                [{"id": entry.pk, "question": question.pk, "points": 10, "ORDER": 0}], initial=1
            )
        }
    )
    assert client.post(f"{ADMIN}/quiz/edit/{quiz.pk}/", data | {"action-submit": "1"}).status_code == 302
    assert learner_api.get(summary).json()["title"] == "养老护理员基础知识测验"
    assert learner_api.get(summary).json()["max_points"] == 4

    client.force_login(reviewer)
    approve(client, "quiz", quiz)
    body = learner_api.get(summary).json()
    assert (body["title"], body["max_points"], body["pass_points"], body["pass_mark"]) == (
        "改过的测验",
        10,
        8,
        80,
    )


def test_an_unpublished_question_is_left_out_of_new_attempts(learner, enrolled_lesson):
    kept, withdrawn = QuestionFactory(), QuestionFactory()
    quiz = make_quiz(lesson=enrolled_lesson, questions=[kept, withdrawn], points=[2, 3])
    withdrawn.unpublish()
    attempt, _created = attempt_start(learner=learner, quiz=quiz)
    assert attempt.question_ids == [kept.pk]
    assert attempt.max_points == 2


# --- one score scale ------------------------------------------------------------------------------


@pytest.fixture
def twelve_point_quiz(enrolled_lesson):
    """Questions worth 5 + 4 + 3 = 12 points, pass mark 60 %: 7.2 points, so 8 pass."""
    questions = [QuestionFactory(), QuestionFactory(), QuestionFactory(kind=QuestionKind.TRUE_FALSE)]
    return make_quiz(lesson=enrolled_lesson, questions=questions, points=[5, 4, 3], pass_mark=60)


def lesson_page(client, lesson) -> str:
    response = client.get(lesson.get_url_path())
    assert response.status_code == 200
    return response.content.decode()


def test_the_quiz_page_shows_the_quiz_own_maximum_and_pass_mark(client, learner, twelve_point_quiz):
    client.force_login(learner.user)
    html = lesson_page(client, twelve_point_quiz.lesson)
    assert "满分 <strong>12</strong> 分" in html
    assert "及格 <strong>8</strong> 分" in html
    assert "共 3 题" in html
    assert twelve_point_quiz.title in html
    assert "满分 100" not in html
    player = (Path(settings.BASE_DIR) / "static/quizzes/quiz.js").read_text(encoding="utf-8")
    assert "满分 100" not in player and "pass_mark +" not in player


def test_the_page_the_summary_and_a_submitted_attempt_use_the_same_scale(
    client, learner, learner_api, twelve_point_quiz
):
    client.force_login(learner.user)
    html = lesson_page(client, twelve_point_quiz.lesson)
    summary = learner_api.get(f"/api/v1/quizzes/lessons/{twelve_point_quiz.lesson.pk}/").json()
    assert (summary["max_points"], summary["pass_points"], summary["question_count"]) == (12, 8, 3)
    assert f"满分 <strong>{summary['max_points']}</strong> 分" in html

    started = learner_api.post(f"/api/v1/quizzes/lessons/{twelve_point_quiz.lesson.pk}/attempts/")
    attempt = started.json()
    assert (attempt["max_points"], attempt["pass_points"]) == (12, 8)
    five, four, three = (entry.question for entry in twelve_point_quiz.quiz_questions.order_by("sort_order"))
    # 4 + 3 = 7 points: one short of the pass mark shown.
    answers = {str(q.pk): correct_ids(q) for q in (four, three)}
    result = learner_api.post(
        f"/api/v1/quizzes/attempts/{attempt['id']}/submit/", {"answers": answers}, format="json"
    ).json()
    assert (result["points"], result["max_points"], result["pass_points"], result["passed"]) == (
        7,
        12,
        8,
        False,
    )

    summary = learner_api.get(f"/api/v1/quizzes/lessons/{twelve_point_quiz.lesson.pk}/").json()
    assert (summary["best_points"], summary["best_max_points"]) == (7, 12)


@pytest.mark.parametrize(("pass_mark", "max_points"), [(60, 12), (60, 5), (75, 4), (100, 7), (0, 3), (61, 9)])
def test_pass_points_are_exactly_the_points_scoring_passes(learner, pass_mark, max_points):
    """Whatever the rounding, the pass mark shown in points is the one scoring applies."""
    question = QuestionFactory()
    quiz = make_quiz(questions=[question], points=[max_points], pass_mark=pass_mark)
    entry = QuizQuestion.objects.get(quiz=quiz)
    threshold = pass_points(pass_mark, max_points)
    for points in range(max_points + 1):
        assert (points * 100 >= pass_mark * max_points) == (points >= threshold)
    attempt, _created = attempt_start(learner=learner, quiz=quiz)
    outcome = attempt_submit(
        learner=learner, attempt_id=attempt.pk, answers={str(question.pk): correct_ids(question)}
    )
    assert outcome.attempt.points == entry.points == max_points
    assert outcome.attempt.passed is (max_points >= threshold)


def test_a_draft_quiz_shows_no_scale_on_the_lesson_page(client, learner, enrolled_lesson):
    quiz = make_quiz(lesson=enrolled_lesson, questions=[QuestionFactory()], points=[12])
    Quiz.objects.filter(pk=quiz.pk).update(live=False)
    client.force_login(learner.user)
    html = lesson_page(client, enrolled_lesson)
    assert "满分 <strong>" not in html
    assert quiz.title not in html
