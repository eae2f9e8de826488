"""Teacher pool (师资库): vetting transitions by role, audit log, editors' screens, public API."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ValidationError
from wagtail.log_actions import registry as log_registry
from wagtail.models import ModelLogEntry

from teachers.models import Teacher, TeacherState
from teachers.selectors import approved_teachers
from teachers.services import (
    TRANSITIONS,
    ReasonRequired,
    Role,
    TransitionForbidden,
    TransitionNotAllowed,
    teacher_transition,
)
from teachers.validators import validate_teachers_publishable
from tests.conftest import client_for
from tests.factories import OccupationFactory
from tests.teachers_factories import (
    CertificateFactory,
    TeacherFactory,
    editor_user,
    learner_user,
    make_photo,
    reviewer_user,
    staff_user,
    superuser,
)

pytestmark = pytest.mark.django_db

S = TeacherState
ALL_STATES = [state.value for state in S]
ALLOWED_PAIRS = {(t.source, t.target) for t in TRANSITIONS}
REFUSED_PAIRS = [(a, b) for a in ALL_STATES for b in ALL_STATES if (a, b) not in ALLOWED_PAIRS]


def _logs(teacher):
    return ModelLogEntry.objects.filter(object_id=str(teacher.pk), action__startswith="teachers.")


def _persona(role: str):
    if role == "editor":
        return editor_user()
    if role == "reviewer":
        return reviewer_user()
    if role == "superuser":
        return superuser()
    if role == "learner":
        return learner_user()
    if role == "institution":
        user = staff_user(is_staff=True)
        user.groups.add(Group.objects.get_or_create(name="Institution staff")[0])
        return user
    return AnonymousUser()


# --- The service: every transition, by role -----------------------------------------------


@pytest.mark.parametrize("move", TRANSITIONS, ids=lambda t: f"{t.source}-{t.target}")
@pytest.mark.parametrize("role", ["editor", "reviewer", "superuser", "learner", "institution", "anonymous"])
def test_each_transition_is_made_only_by_its_role(move, role):
    teacher = TeacherFactory(state=move.source)
    user = _persona(role)
    may = role == "superuser" or (role == "editor" and move.role == Role.EDITOR)
    may = may or (role == "reviewer" and move.role == Role.REVIEWER)

    if may:
        teacher_transition(teacher=teacher, to_state=move.target, user=user, reason="证书已核验")
        teacher.refresh_from_db()
        assert teacher.state == move.target
        assert teacher.state_reason == "证书已核验"
        assert teacher.state_changed_at is not None
        entry = _logs(teacher).get()
        assert entry.action == move.action
        assert entry.user_id == user.pk
        assert entry.data == {"reason": "证书已核验", "from": move.source, "to": move.target}
    else:
        with pytest.raises(TransitionForbidden):
            teacher_transition(teacher=teacher, to_state=move.target, user=user, reason="证书已核验")
        teacher.refresh_from_db()
        assert teacher.state == move.source
        assert not _logs(teacher).exists()


@pytest.mark.parametrize(("source", "target"), REFUSED_PAIRS)
def test_it_refuses_transitions_outside_the_table_even_for_a_superuser(source, target):
    teacher = TeacherFactory(state=source)
    with pytest.raises(TransitionNotAllowed):
        teacher_transition(teacher=teacher, to_state=target, user=superuser(), reason="理由")
    teacher.refresh_from_db()
    assert teacher.state == source
    assert not _logs(teacher).exists()


def test_it_refuses_an_unknown_state():
    teacher = TeacherFactory(state=S.UNDER_REVIEW)
    with pytest.raises(TransitionNotAllowed):
        teacher_transition(teacher=teacher, to_state="published", user=superuser())
    assert Teacher.objects.get(pk=teacher.pk).state == S.UNDER_REVIEW


@pytest.mark.parametrize(("source", "target"), [(S.UNDER_REVIEW, S.REJECTED), (S.APPROVED, S.SUSPENDED)])
@pytest.mark.parametrize("reason", ["", "   \n"])
def test_rejecting_or_suspending_requires_a_reason(source, target, reason):
    teacher = TeacherFactory(state=source)
    with pytest.raises(ReasonRequired) as refusal:
        teacher_transition(teacher=teacher, to_state=target, user=reviewer_user(), reason=reason)
    assert "原因" in refusal.value.message
    teacher.refresh_from_db()
    assert teacher.state == source
    assert not _logs(teacher).exists()


def test_approving_needs_no_reason():
    teacher = TeacherFactory(state=S.UNDER_REVIEW)
    teacher_transition(teacher=teacher, to_state=S.APPROVED, user=reviewer_user())
    assert Teacher.objects.get(pk=teacher.pk).state == S.APPROVED
    assert _logs(teacher).get().data["reason"] == ""


def test_it_reads_the_current_state_from_the_database_not_a_stale_instance():
    teacher = TeacherFactory(state=S.UNDER_REVIEW)
    stale = Teacher.objects.get(pk=teacher.pk)
    teacher_transition(teacher=teacher, to_state=S.REJECTED, user=reviewer_user(), reason="材料不全")
    with pytest.raises(TransitionNotAllowed):
        teacher_transition(teacher=stale, to_state=S.APPROVED, user=reviewer_user())
    assert Teacher.objects.get(pk=teacher.pk).state == S.REJECTED


def test_an_inactive_reviewer_may_make_no_transition():
    teacher = TeacherFactory(state=S.SUBMITTED)
    with pytest.raises(TransitionForbidden):
        teacher_transition(teacher=teacher, to_state=S.UNDER_REVIEW, user=reviewer_user(is_active=False))


def test_the_full_path_is_recorded_in_the_audit_log_in_order():
    teacher = TeacherFactory(state=S.SUBMITTED)
    editor, reviewer = editor_user(), reviewer_user()
    teacher_transition(teacher=teacher, to_state=S.UNDER_REVIEW, user=reviewer)
    teacher_transition(teacher=teacher, to_state=S.REJECTED, user=reviewer, reason="证书过期")
    teacher_transition(teacher=teacher, to_state=S.SUBMITTED, user=editor)
    teacher_transition(teacher=teacher, to_state=S.UNDER_REVIEW, user=reviewer)
    teacher_transition(teacher=teacher, to_state=S.APPROVED, user=reviewer)
    teacher_transition(teacher=teacher, to_state=S.SUSPENDED, user=reviewer, reason="学员投诉，暂停授课")
    assert list(_logs(teacher).order_by("timestamp", "id").values_list("action", flat=True)) == [
        "teachers.start_review",
        "teachers.reject",
        "teachers.resubmit",
        "teachers.start_review",
        "teachers.approve",
        "teachers.suspend",
    ]
    assert Teacher.objects.get(pk=teacher.pk).state_reason == "学员投诉，暂停授课"


def test_the_log_actions_have_chinese_labels_and_show_the_reason():
    teacher = TeacherFactory(state=S.UNDER_REVIEW)
    teacher_transition(teacher=teacher, to_state=S.REJECTED, user=reviewer_user(), reason="证书不清晰")
    entry = _logs(teacher).get()
    assert log_registry.get_action_label("teachers.reject") == "师资：驳回"
    assert log_registry.get_action_label("teachers.approve") == "师资：审核通过"
    assert entry.comment == "证书不清晰"
    assert entry.message == "师资：驳回（原因：证书不清晰）"


# --- Publishable-teacher validator -------------------------------------------------------


def test_the_validator_accepts_approved_teachers_and_nothing():
    validate_teachers_publishable([TeacherFactory(), TeacherFactory()])
    validate_teachers_publishable([])
    validate_teachers_publishable(Teacher.objects.none())


def test_the_validator_names_every_teacher_not_approved():
    ok = TeacherFactory(name="王建国")
    pending = TeacherFactory(name="刘海燕", state=S.UNDER_REVIEW)
    suspended = TeacherFactory(name="赵明", state=S.SUSPENDED)
    with pytest.raises(ValidationError) as error:
        validate_teachers_publishable([ok, pending, suspended.pk])
    message = error.value.messages[0]
    assert "刘海燕（审核中）" in message and "赵明（已暂停）" in message
    assert "王建国" not in message
    assert error.value.error_list[0].code == "teacher_not_approved"


def test_the_validator_checks_the_database_not_a_stale_instance():
    teacher = TeacherFactory()
    Teacher.objects.filter(pk=teacher.pk).update(state=S.SUSPENDED)
    with pytest.raises(ValidationError):
        validate_teachers_publishable([teacher])


def test_approved_teachers_selects_only_approved():
    approved = TeacherFactory()
    for state in (S.SUBMITTED, S.UNDER_REVIEW, S.REJECTED, S.SUSPENDED):
        TeacherFactory(state=state)
    assert list(approved_teachers()) == [approved]


# --- Editors' screens ----------------------------------------------------------------------


def _transition_url(teacher, target):
    return f"/admin/snippets/teachers/teacher/transition/{teacher.pk}/{target}/"


def test_a_reviewer_rejects_with_a_reason_through_the_admin_form(client):
    teacher = TeacherFactory(state=S.UNDER_REVIEW)
    reviewer = reviewer_user()
    client.force_login(reviewer)

    assert client.get(_transition_url(teacher, S.REJECTED)).status_code == 200
    blank = client.post(_transition_url(teacher, S.REJECTED), {"reason": ""})
    assert blank.status_code == 200
    assert Teacher.objects.get(pk=teacher.pk).state == S.UNDER_REVIEW

    response = client.post(_transition_url(teacher, S.REJECTED), {"reason": "证书编号无法核验"})

    assert response.status_code == 302
    teacher.refresh_from_db()
    assert (teacher.state, teacher.state_reason) == (S.REJECTED, "证书编号无法核验")
    assert _logs(teacher).get().user_id == reviewer.pk


def test_an_editor_cannot_approve_through_the_admin(client):
    teacher = TeacherFactory(state=S.UNDER_REVIEW)
    client.force_login(editor_user())
    for method in (client.get, client.post):
        response = method(_transition_url(teacher, S.APPROVED))
        assert response.status_code == 302
        assert response.url == "/admin/"
    assert Teacher.objects.get(pk=teacher.pk).state == S.UNDER_REVIEW
    assert not _logs(teacher).exists()


def test_an_editor_resubmits_a_rejected_teacher_through_the_admin(client):
    teacher = TeacherFactory(state=S.REJECTED)
    client.force_login(editor_user())
    response = client.post(_transition_url(teacher, S.SUBMITTED), {"reason": "已补充证书扫描件"})
    assert response.status_code == 302
    assert Teacher.objects.get(pk=teacher.pk).state == S.SUBMITTED


def test_a_transition_not_possible_from_the_current_state_is_refused_in_the_admin(client):
    teacher = TeacherFactory(state=S.APPROVED)
    client.force_login(superuser())
    response = client.post(_transition_url(teacher, S.REJECTED), {"reason": "x"})
    assert response.status_code == 302
    assert Teacher.objects.get(pk=teacher.pk).state == S.APPROVED


def test_a_learner_cannot_reach_the_admin_transition(client):
    teacher = TeacherFactory(state=S.SUBMITTED)
    client.force_login(learner_user())
    response = client.post(_transition_url(teacher, S.UNDER_REVIEW))
    assert response.status_code == 302
    assert "/login/" in response.url
    assert Teacher.objects.get(pk=teacher.pk).state == S.SUBMITTED


def test_the_admin_list_shows_state_and_a_masked_phone_and_only_allowed_actions(client):
    teacher = TeacherFactory(name="李秀英", phone="13905331202", state=S.UNDER_REVIEW)
    client.force_login(reviewer_user())
    page = client.get("/admin/snippets/teachers/teacher/").content.decode()
    assert "李秀英" in page and "审核中" in page
    assert "139****1202" in page and "13905331202" not in page
    assert _transition_url(teacher, S.APPROVED) in page

    client.force_login(editor_user())
    page = client.get("/admin/snippets/teachers/teacher/").content.decode()
    assert "李秀英" in page
    assert _transition_url(teacher, S.APPROVED) not in page


def test_the_admin_list_filters_by_state_and_specialty(client):
    cook = OccupationFactory(code="4-03-02-01", name="中式烹调师")
    TeacherFactory(name="孙志强", specialties=[cook])
    TeacherFactory(name="刘海燕", state=S.UNDER_REVIEW)
    client.force_login(editor_user())
    approved = client.get("/admin/snippets/teachers/teacher/?state=approved").content.decode()
    assert "孙志强" in approved and "刘海燕" not in approved
    cooks = client.get(f"/admin/snippets/teachers/teacher/?specialty={cook.pk}").content.decode()
    assert "孙志强" in cooks and "刘海燕" not in cooks


def test_an_editor_creates_a_teacher_who_starts_submitted_whatever_the_form_says(client):
    care = OccupationFactory()
    client.force_login(editor_user())
    assert client.get("/admin/snippets/teachers/teacher/add/").status_code == 200
    response = client.post(
        "/admin/snippets/teachers/teacher/add/",
        {
            "name": "周丽",
            "employer": "淄博市社会福利中心",
            "title": "技师",
            "phone": "13905330001",
            "bio": "",
            "gender": "F",
            "specialties": [care.pk],
            "state": S.APPROVED,  # read-only in the form: ignored
            "certificates-TOTAL_FORMS": "1",
            "certificates-INITIAL_FORMS": "0",
            "certificates-MIN_NUM_FORMS": "0",
            "certificates-MAX_NUM_FORMS": "1000",
            "certificates-0-name": "职业技能等级证书（养老护理员）",
            "certificates-0-number": "S000037030000999999",
            "certificates-0-issued_by": "淄博市职业技能鉴定中心",
            "certificates-0-level": "二级/技师",
            "certificates-0-issued_on": "2020-01-02",
            "certificates-0-ORDER": "1",
            "certificates-0-DELETE": "",
            "certificates-0-id": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    teacher = Teacher.objects.get(name="周丽")
    assert teacher.state == S.SUBMITTED
    assert list(teacher.specialties.all()) == [care]
    assert teacher.certificates.get().number == "S000037030000999999"


# --- Public API ----------------------------------------------------------------------------


def test_the_list_shows_approved_teachers_only_with_the_contract_fields(api):
    care = OccupationFactory()
    teacher = TeacherFactory(
        name="李秀英", title="高级技师", employer="淄博市社会福利中心", specialties=[care]
    )
    for state in (S.SUBMITTED, S.UNDER_REVIEW, S.REJECTED, S.SUSPENDED):
        TeacherFactory(state=state)

    response = api.get("/api/v1/teachers/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == teacher.pk
    assert (item["name"], item["title"], item["employer"]) == ("李秀英", "高级技师", "淄博市社会福利中心")
    assert item["photo_url"] is None
    assert item["specialties"] == [{"code": "4-10-01-05", "name": "养老护理员"}]
    certificate = teacher.certificates.get()
    assert item["certificates"] == [
        {
            "name": certificate.name,
            "level": certificate.level,
            "issued_by": certificate.issued_by,
            "issued_on": certificate.issued_on.isoformat(),
        }
    ]


def test_no_phone_or_certificate_number_is_ever_exposed(api):
    teacher = TeacherFactory(phone="13905331299")
    number = teacher.certificates.get().number
    for url in ("/api/v1/teachers/", f"/api/v1/teachers/{teacher.pk}/"):
        text = api.get(url).content.decode()
        assert "13905331299" not in text and "1299" not in text
        assert number not in text
        assert '"phone"' not in text and '"number"' not in text


@pytest.mark.parametrize("state", [S.SUBMITTED, S.UNDER_REVIEW, S.REJECTED, S.SUSPENDED])
def test_the_detail_of_a_teacher_not_approved_is_a_404(api, state):
    teacher = TeacherFactory(state=state)
    response = api.get(f"/api/v1/teachers/{teacher.pk}/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_the_detail_of_an_approved_teacher_and_of_no_teacher(api):
    teacher = TeacherFactory()
    assert api.get(f"/api/v1/teachers/{teacher.pk}/").json()["id"] == teacher.pk
    for pk in (999999, 2**70):
        response = api.get(f"/api/v1/teachers/{pk}/")
        assert response.status_code == 404
        assert response.json()["detail"]


def test_a_suspended_teacher_disappears_from_the_api(api):
    teacher = TeacherFactory()
    teacher_transition(teacher=teacher, to_state=S.SUSPENDED, user=reviewer_user(), reason="证书到期")
    assert api.get("/api/v1/teachers/").json()["count"] == 0
    assert api.get(f"/api/v1/teachers/{teacher.pk}/").status_code == 404


def test_the_photo_url_is_a_rendition(api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    TeacherFactory(photo=make_photo())
    url = api.get("/api/v1/teachers/").json()["results"][0]["photo_url"]
    assert url.startswith("/media/images/") and "fill-240x320" in url


def test_the_list_filters_by_specialty_and_text(api):
    cook = OccupationFactory(code="4-03-02-01", name="中式烹调师")
    TeacherFactory(name="孙志强", employer="淄博市技师学院", specialties=[cook])
    TeacherFactory(name="李秀英", employer="淄博市社会福利中心", bio="养老机构护理主管")
    TeacherFactory(name="刘海燕", state=S.UNDER_REVIEW, specialties=[cook])

    def names(query):
        return [t["name"] for t in api.get(f"/api/v1/teachers/{query}").json()["results"]]

    assert names("?specialty=4-03-02-01") == ["孙志强"]
    assert names("?specialty=9-99-99-99") == []
    assert names("?q=技师学院") == ["孙志强"]
    assert names("?q=护理") == ["李秀英"]
    assert names("?q=%00") == ["孙志强", "李秀英"]


def test_the_list_is_paginated_in_a_stable_order(api):
    for _ in range(5):
        TeacherFactory()
    first = api.get("/api/v1/teachers/?page_size=2").json()
    second = api.get(first["next"]).json()
    ids = [t["id"] for t in first["results"] + second["results"]]
    assert first["count"] == 5 and first["previous"] is None
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert api.get("/api/v1/teachers/?page=99").status_code == 404


def test_anyone_may_read_but_nobody_may_write(api, learner_api):
    TeacherFactory()
    assert learner_api.get("/api/v1/teachers/").json()["count"] == 1
    for client in (api, learner_api, client_for(superuser())):
        response = client.post("/api/v1/teachers/", {"name": "x"}, format="json")
        assert response.status_code in (403, 405)
        assert response.json()["detail"]
    assert Teacher.objects.count() == 1


def _count_queries(api, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def _teacher_with_everything(photo):
    teacher = TeacherFactory(photo=photo, specialties=[OccupationFactory()], certificates=2)
    photo.get_rendition("fill-240x320")  # renditions are made once, on the first request
    return teacher


def test_the_list_queries_do_not_grow_with_the_number_of_teachers(
    api, settings, tmp_path, django_assert_max_num_queries
):
    settings.MEDIA_ROOT = tmp_path
    _teacher_with_everything(make_photo())
    few = _count_queries(api, "/api/v1/teachers/")
    for _ in range(6):
        teacher = _teacher_with_everything(make_photo())
        CertificateFactory(teacher=teacher)
    many = _count_queries(api, "/api/v1/teachers/")
    assert many == few
    # count, the page of teachers, their photos, the photos' renditions, specialties, certificates
    with django_assert_max_num_queries(6):
        api.get("/api/v1/teachers/")


def test_a_reviewer_finds_the_transitions_on_the_edit_screen_and_the_decisions_in_history(client):
    pending = TeacherFactory(state=S.UNDER_REVIEW)
    rejected = TeacherFactory(state=S.UNDER_REVIEW)
    reviewer = reviewer_user()
    teacher_transition(teacher=rejected, to_state=S.REJECTED, user=reviewer, reason="证书编号无法核验")
    client.force_login(reviewer)

    edit = client.get(f"/admin/snippets/teachers/teacher/edit/{pending.pk}/").content.decode()
    history = client.get(f"/admin/snippets/teachers/teacher/history/{rejected.pk}/").content.decode()
    inspect = client.get(f"/admin/snippets/teachers/teacher/inspect/{rejected.pk}/").content.decode()

    assert _transition_url(pending, S.APPROVED) in edit and _transition_url(pending, S.REJECTED) in edit
    assert "师资：驳回" in history and "证书编号无法核验" in history
    assert "已驳回" in inspect and rejected.phone not in inspect


# --- Demo data -----------------------------------------------------------------------------


def test_the_demo_seed_is_idempotent_and_covers_every_demo_state(api, settings, tmp_path):
    from teachers.demo import seed_teachers
    from teachers.isbn import isbn_normalize
    from teachers.models import Material

    settings.MEDIA_ROOT = tmp_path
    for code, name in [
        ("6-15-05-02", "陶瓷成型施釉工"),
        ("6-15-03-03", "玻璃加工工"),
        ("6-11-01-03", "化工总控工"),
        ("4-10-01-05", "养老护理员"),
        ("4-10-01-06", "家政服务员"),
        ("4-03-02-01", "中式烹调师"),
    ]:
        OccupationFactory(code=code, name=name)
    superuser(username="bureau")

    seed_teachers()
    seed_teachers()

    states = sorted(Teacher.objects.values_list("state", flat=True))
    assert states.count(S.APPROVED) == 4 and S.UNDER_REVIEW in states and S.REJECTED in states
    assert Teacher.objects.get(state=S.REJECTED).state_reason
    assert ModelLogEntry.objects.filter(action="teachers.reject").count() == 1
    assert all(t.specialties.exists() and t.certificates.exists() for t in Teacher.objects.all())
    materials = Material.objects.filter(live=True)
    assert materials.count() == 4 and materials.filter(provincial_quality=True).exists()
    assert all(isbn_normalize(m.isbn) == m.isbn for m in materials)
    body = api.get("/api/v1/teachers/").json()
    assert body["count"] == 4 and all(t["photo_url"] for t in body["results"])
