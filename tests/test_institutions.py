"""Institutions, classes and assignments: model rules, the class API, the staff pages, the admin
and the demo seed. (Who may do what is in test_permissions.py; /me/assignments/ in
test_assignments.py.)"""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from institutions import roles
from institutions.models import Assignment, ClassMembership, Institution, TrainingClass
from institutions.services import assignment_create, class_create, class_member_add
from learners.models import Enrollment
from progress.models import LessonProgress
from tests.conftest import client_for
from tests.factories import LearnerFactory, UserFactory, make_course
from tests.institutions_factories import (
    AssignmentFactory,
    InstitutionFactory,
    TrainingClassFactory,
    credit_code,
    in_group,
    member,
    official_of,
    staff_of,
)
from vocabulary.people import District

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return InstitutionFactory(name="张店区职业培训学校", district=District.ZHANGDIAN)


@pytest.fixture
def staff(school):
    return staff_of(school)


@pytest.fixture
def staff_api(staff):
    return client_for(staff)


# --- models and services ---------------------------------------------------------------------


def test_an_institution_needs_a_credit_code_with_the_right_check_character(school):
    good = credit_code(4242)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    institution = InstitutionFactory.build(credit_code=wrong_check, district=District.BOSHAN)
    with pytest.raises(ValidationError) as error:
        institution.full_clean()
    assert "credit_code" in error.value.message_dict

    institution.credit_code = good.lower()
    institution.save()
    assert Institution.objects.get(pk=institution.pk).credit_code == good


def test_class_create_takes_occupation_level_and_district_from_course_and_institution(school):
    course = make_course(level="4")
    today = timezone.localdate()

    training_class = class_create(
        institution=school,
        course=course,
        name="第1期",
        starts_on=today,
        ends_on=today + dt.timedelta(days=30),
    )

    training_class.refresh_from_db()
    assert training_class.occupation_id == course.occupation_id
    assert training_class.level == "4"
    assert training_class.district == District.ZHANGDIAN


def test_a_class_cannot_end_before_it_starts_or_have_an_unapproved_teacher(school):
    from teachers.models import TeacherState
    from tests.teachers_factories import TeacherFactory

    course = make_course()
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        class_create(
            institution=school, course=course, name="x", starts_on=today, ends_on=today - dt.timedelta(days=1)
        )
    assert "ends_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        class_create(
            institution=school,
            course=course,
            name="x",
            starts_on=today,
            ends_on=today,
            teacher=TeacherFactory(state=TeacherState.SUBMITTED),
        )
    assert "teacher" in error.value.message_dict
    assert not TrainingClass.objects.exists()


def test_an_assignment_is_due_after_it_opens_and_holds_lessons_of_its_course_only():
    training_class = TrainingClassFactory()
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        assignment_create(
            training_class=training_class, course=training_class.course, opens_at=now, due_at=now
        )
    assert "due_at" in error.value.message_dict
    other = make_course()
    with pytest.raises(ValidationError) as error:
        assignment_create(
            training_class=training_class,
            course=training_class.course,
            due_at=now + dt.timedelta(days=1),
            lessons=[other.lessons.first()],
        )
    assert "lessons" in error.value.message_dict
    assert not Assignment.objects.exists()


def test_adding_a_member_twice_keeps_one_membership(learner):
    training_class = TrainingClassFactory()
    first, created = class_member_add(training_class=training_class, learner=learner)
    again, created_again = class_member_add(training_class=training_class, learner=learner)
    assert created and not created_again and first.pk == again.pk
    assert ClassMembership.objects.count() == 1


# --- GET /classes/ ---------------------------------------------------------------------------


def test_the_class_list_shows_the_institutions_classes_with_their_fields(school, staff_api, learner):
    training_class = TrainingClassFactory(institution=school, name="2026年养老护理员（五级）第3期")
    member(training_class, learner)
    TrainingClassFactory()  # another institution's

    response = staff_api.get("/api/v1/classes/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 1
    item = body["results"][0]
    assert item["id"] == training_class.pk
    assert item["name"] == "2026年养老护理员（五级）第3期"
    assert item["institution"] == {"id": school.pk, "name": "张店区职业培训学校"}
    assert item["course"] == {"id": training_class.course_id, "title": training_class.course.title}
    assert item["occupation"] == {"code": "4-10-01-05", "name": "养老护理员"}
    assert item["district"] == "张店区"
    assert item["member_count"] == 1
    assert item["teacher"] is None


def test_the_class_list_filters_by_institution_course_and_district():
    bureau = in_group("Bureau")
    a = TrainingClassFactory(institution=InstitutionFactory(district=District.ZICHUAN))
    b = TrainingClassFactory()
    api = client_for(bureau)

    def ids(query):
        return [c["id"] for c in api.get(f"/api/v1/classes/?{query}").json()["results"]]

    assert ids(f"institution={a.institution_id}") == [a.pk]
    assert ids(f"course={b.course_id}") == [b.pk]
    assert ids("district=淄川区") == [a.pk]
    response = api.get("/api/v1/classes/?institution=abc")
    assert response.status_code == 400 and response.json()["detail"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_class_list_queries_do_not_grow_with_the_number_of_classes(
    school, staff_api, django_assert_max_num_queries
):
    TrainingClassFactory(institution=school)
    few = _queries(staff_api, "/api/v1/classes/")
    for _ in range(5):
        member(TrainingClassFactory(institution=school), LearnerFactory())
    assert _queries(staff_api, "/api/v1/classes/") == few
    # token user, roles, count, the page of classes with institution, course, occupation, teacher
    with django_assert_max_num_queries(4):
        staff_api.get("/api/v1/classes/")


# --- GET /classes/{id}/ ----------------------------------------------------------------------


def test_the_class_detail_shows_members_masked_with_their_progress(school, staff_api):
    course = make_course(lessons=2, duration=600, required_hours=2)
    training_class = TrainingClassFactory(institution=school, course=course)
    learner = LearnerFactory(real_name="李秀英", phone="13953312345")
    member(training_class, learner)
    first, second = course.lessons.order_by("sort_order")
    LessonProgress.objects.create(
        learner=learner, lesson=first, credited_seconds=600, completed_at=timezone.now()
    )
    LessonProgress.objects.create(learner=learner, lesson=second, credited_seconds=30)
    assignment = AssignmentFactory(training_class=training_class)

    response = staff_api.get(f"/api/v1/classes/{training_class.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["can_manage"] is True
    assert body["assignments"][0]["id"] == assignment.pk
    (item,) = body["members"]
    assert item["learner"] == learner.pk
    assert item["real_name"] == "李秀英"
    assert item["id_number"] == learner.masked_id_number and "*" in item["id_number"]
    assert item["phone"] == "139****2345"
    assert item["district"] == learner.district
    assert item["verified"] is False
    assert item["credited_seconds"] == 630
    assert item["required_seconds"] == 7200
    assert item["completed"] is False
    assert item["last_activity"]
    assert learner.id_number not in response.content.decode()
    assert "13953312345" not in response.content.decode()


def test_the_class_detail_queries_do_not_grow_with_the_number_of_members(
    school, staff_api, django_assert_max_num_queries
):
    training_class = TrainingClassFactory(institution=school)
    AssignmentFactory(training_class=training_class)
    lessons = list(training_class.course.lessons.all())

    def add_member():
        learner = LearnerFactory()
        member(training_class, learner)
        LessonProgress.objects.create(learner=learner, lesson=lessons[0], credited_seconds=10)

    add_member()
    url = f"/api/v1/classes/{training_class.pk}/"
    few = _queries(staff_api, url)
    for _ in range(6):
        add_member()
    assert _queries(staff_api, url) == few
    # token user, roles, the class with its count, its assignments with courses, their lessons,
    # the members with learners and their enrolment, the course's required lessons, progress,
    # the class's teachers
    with django_assert_max_num_queries(9):
        staff_api.get(url)


# --- POST /classes/{id}/members/ and /assignments/ ---------------------------------------------


def test_staff_add_a_member_who_is_enrolled_in_the_classs_assigned_courses(school, staff_api):
    training_class = TrainingClassFactory(institution=school)
    assignment = AssignmentFactory(training_class=training_class)
    learner = LearnerFactory()
    url = f"/api/v1/classes/{training_class.pk}/members/"

    response = staff_api.post(url, {"learner": learner.pk}, format="json")
    again = staff_api.post(url, {"learner": learner.pk}, format="json")

    assert response.status_code == 201 and again.status_code == 200
    assert response.json()["learner"] == learner.pk
    assert response.json()["id_number"] == learner.masked_id_number
    assert ClassMembership.objects.filter(training_class=training_class, learner=learner).count() == 1
    assert Enrollment.objects.get(learner=learner, course=assignment.course).source == "class"


@pytest.mark.parametrize("body", [{}, {"learner": "abc"}, {"learner": 999999}, []])
def test_adding_a_member_with_a_bad_body_is_a_400(school, staff_api, body):
    training_class = TrainingClassFactory(institution=school)
    response = staff_api.post(f"/api/v1/classes/{training_class.pk}/members/", body, format="json")
    assert response.status_code == 400 and response.json()["detail"]
    assert not ClassMembership.objects.exists()


def test_staff_assign_chosen_lessons_and_the_members_are_enrolled(school, staff_api, learner):
    course = make_course(lessons=3, open_enrolment=False)
    training_class = TrainingClassFactory(institution=school)
    member(training_class, learner)
    lessons = list(course.lessons.order_by("sort_order"))[:2]
    opens = timezone.now()
    due = opens + dt.timedelta(days=14)

    response = staff_api.post(
        f"/api/v1/classes/{training_class.pk}/assignments/",
        {
            "course": course.pk,
            "lessons": [lesson.pk for lesson in lessons],
            "opens_at": opens.isoformat(),
            "due_at": due.isoformat(),
            "note": "第一、二课",
        },
        format="json",
    )

    assert response.status_code == 201
    assignment = Assignment.objects.get()
    assert response.json()["id"] == assignment.pk
    assert sorted(response.json()["lessons"]) == sorted(lesson.pk for lesson in lessons)
    assert assignment.created_by_id is not None and assignment.note == "第一、二课"
    assert set(assignment.lessons.all()) == set(lessons)
    assert Enrollment.objects.get(learner=learner, course=course).source == "class"


def test_assigning_a_bad_course_lessons_or_dates_is_a_400(school, staff_api):
    training_class = TrainingClassFactory(institution=school)
    draft = make_course(publish=False)
    other = make_course()
    now = timezone.now()
    url = f"/api/v1/classes/{training_class.pk}/assignments/"
    course = training_class.course.pk
    bodies = [
        {"course": draft.pk, "due_at": (now + dt.timedelta(days=1)).isoformat()},
        {"course": 999999, "due_at": (now + dt.timedelta(days=1)).isoformat()},
        {
            "course": course,
            "due_at": (now + dt.timedelta(days=1)).isoformat(),
            "lessons": [other.lessons.first().pk],
        },
        {"course": course, "due_at": (now + dt.timedelta(days=1)).isoformat(), "lessons": [999999]},
        {"course": course, "opens_at": now.isoformat(), "due_at": (now - dt.timedelta(days=1)).isoformat()},
        {"course": course, "due_at": (now - dt.timedelta(days=1)).isoformat()},
        {"course": course, "due_at": "tomorrow"},
        {"course": course},
        ["not", "an", "object"],
    ]
    for body in bodies:
        response = staff_api.post(url, body, format="json")
        assert response.status_code == 400, body
        assert response.json()["detail"]
    assert not Assignment.objects.exists()


# --- pages -----------------------------------------------------------------------------------


def test_staff_see_their_classes_and_a_class_page_with_masked_members(client, school, staff):
    training_class = TrainingClassFactory(institution=school, name="2026年养老护理员（五级）第3期")
    learner = LearnerFactory(real_name="王桂兰", phone="13853398765")
    member(training_class, learner)
    other = TrainingClassFactory(name="别的机构的班级")
    client.force_login(staff)

    listing = client.get("/institution/classes/")
    page = client.get(f"/institution/classes/{training_class.pk}/")

    assert listing.status_code == 200
    assert (
        "我的班级" in listing.content.decode() and "2026年养老护理员（五级）第3期" in listing.content.decode()
    )
    assert "别的机构的班级" not in listing.content.decode()
    html = page.content.decode()
    assert page.status_code == 200
    assert "王桂兰" in html and learner.masked_id_number in html and "138****8765" in html
    assert learner.id_number not in html and "13853398765" not in html
    assert 'name="due_at"' in html
    assert client.get(f"/institution/classes/{other.pk}/").status_code == 404


def test_staff_add_an_assignment_with_the_class_page_form(client, school, staff, learner):
    training_class = TrainingClassFactory(institution=school)
    member(training_class, learner)
    client.force_login(staff)
    due = timezone.localtime() + dt.timedelta(days=14)

    response = client.post(
        f"/institution/classes/{training_class.pk}/",
        {"course": training_class.course_id, "due_at": due.strftime("%Y-%m-%dT%H:%M"), "note": "两周内完成"},
    )

    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert assignment.training_class == training_class and assignment.note == "两周内完成"
    assert Enrollment.objects.filter(learner=learner, course=training_class.course).exists()

    past = client.post(
        f"/institution/classes/{training_class.pk}/",
        {"course": training_class.course_id, "due_at": "2020-01-01T00:00"},
    )
    assert past.status_code == 400 and "截止时间须晚于开始时间" in past.content.decode()
    assert Assignment.objects.count() == 1


def test_a_district_official_reads_the_class_page_but_cannot_assign(client, school):
    training_class = TrainingClassFactory(institution=school)
    client.force_login(official_of(District.ZHANGDIAN))

    page = client.get(f"/institution/classes/{training_class.pk}/")
    posted = client.post(
        f"/institution/classes/{training_class.pk}/",
        {"course": training_class.course_id, "due_at": "2030-01-01T00:00"},
    )

    assert page.status_code == 200 and 'name="due_at"' not in page.content.decode()
    assert posted.status_code == 403
    assert not Assignment.objects.exists()


def test_the_class_pages_send_anonymous_visitors_to_login_and_refuse_other_roles(client, learner):
    training_class = TrainingClassFactory()
    for path in ("/institution/classes/", f"/institution/classes/{training_class.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={path}"
    for user in (learner.user, in_group("Editors")):
        client.force_login(user)
        assert client.get("/institution/classes/").status_code == 403
        assert client.get(f"/institution/classes/{training_class.pk}/").status_code == 403


# --- admin -----------------------------------------------------------------------------------


def test_the_admin_shows_staff_only_their_institutions_classes_and_never_full_id_numbers(client, school):
    mine = TrainingClassFactory(institution=school, name="本校班级")
    TrainingClassFactory(name="外校班级")
    learner = LearnerFactory()
    member(mine, learner)
    staff = staff_of(school, is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_trainingclass",
                "change_trainingclass",
                "view_classmembership",
                "view_assignment",
            ]
        )
    )
    client.force_login(staff)

    listing = client.get("/django-admin/institutions/trainingclass/")
    change = client.get(f"/django-admin/institutions/trainingclass/{mine.pk}/change/")

    assert listing.status_code == 200
    assert "本校班级" in listing.content.decode() and "外校班级" not in listing.content.decode()
    assert change.status_code == 200
    assert learner.id_number not in change.content.decode()
    assert learner.masked_id_number in change.content.decode()
    other = TrainingClass.objects.get(name="外校班级")
    assert client.get(f"/django-admin/institutions/trainingclass/{other.pk}/change/").status_code == 302


def test_the_bureau_sees_every_class_in_the_admin(client):
    TrainingClassFactory(name="本校班级")
    TrainingClassFactory(name="外校班级")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get("/django-admin/institutions/trainingclass/").content.decode()
    assert "本校班级" in html and "外校班级" in html


# --- demo ------------------------------------------------------------------------------------


def test_the_demo_seed_is_idempotent_and_creates_the_promised_logins(learner):
    from catalogs.validators import validate_credit_code
    from institutions.demo import seed_institutions
    from institutions.models import Employment, Enterprise, InstitutionStaff

    course = make_course(title="养老护理员（五级）岗位技能")
    staff_user = UserFactory(username="institution")

    logins = seed_institutions(learner=learner, course=course, staff_user=staff_user)
    counts = [
        m.objects.count() for m in (Institution, TrainingClass, ClassMembership, Assignment, Enterprise)
    ]
    again = seed_institutions(learner=learner, course=course, staff_user=staff_user)

    assert again == logins
    assert [
        m.objects.count() for m in (Institution, TrainingClass, ClassMembership, Assignment, Enterprise)
    ] == counts
    assert {username for username, _, _ in logins} == {"hr", "zhangdian", "auditor"}
    school = Institution.objects.get(name="张店区职业培训学校")
    validate_credit_code(school.credit_code)
    validate_credit_code(Enterprise.objects.get(name="淄博示范化工有限公司").credit_code)
    assert InstitutionStaff.objects.get(user=staff_user).institution == school
    training_class = TrainingClass.objects.get(name="2026年养老护理员（五级）第3期")
    assert training_class.memberships.count() == 6
    assert training_class.memberships.filter(learner=learner).exists()
    assignment = training_class.assignments.get()
    assert dt.timedelta(days=13) < assignment.due_at - timezone.now() <= dt.timedelta(days=14)
    assert Enrollment.objects.filter(course=course).count() == 6
    assert Employment.objects.filter(learner=learner).exists()

    from django.contrib.auth import authenticate

    for username, password, _ in logins:
        assert authenticate(username=username, password=password) is not None
    assert roles.role_of(authenticate(username="hr", password="hr12345")) == roles.Role.ENTERPRISE_HR
    assert (
        roles.role_of(authenticate(username="zhangdian", password="zhangdian12345"))
        == roles.Role.DISTRICT_OFFICIAL
    )
    assert roles.role_of(authenticate(username="auditor", password="auditor12345")) == roles.Role.AUDITOR
    assert roles.can_reveal_personal_data(staff_user, learner)


def test_out_of_range_or_malformed_ids_are_a_400_or_404_never_a_500(school, staff_api):
    training_class = TrainingClassFactory(institution=school)
    huge = 10**25
    bureau_api = client_for(in_group("Bureau"))
    assert bureau_api.get(f"/api/v1/classes/{huge}/").status_code == 404
    for query in (f"institution={huge}", "course=²", "course=-1"):
        response = bureau_api.get(f"/api/v1/classes/?{query}")
        assert response.status_code == 400 and response.json()["detail"]
    members = staff_api.post(
        f"/api/v1/classes/{training_class.pk}/members/", {"learner": huge}, format="json"
    )
    assignments = staff_api.post(
        f"/api/v1/classes/{training_class.pk}/assignments/",
        {"course": huge, "lessons": [huge], "due_at": "2030-01-01T00:00:00+08:00"},
        format="json",
    )
    assert members.status_code == 400 and assignments.status_code == 400
    assert staff_api.post(f"/api/v1/learners/{huge}/verify/", {}, format="json").status_code == 404
