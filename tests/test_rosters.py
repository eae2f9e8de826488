"""Roster import (preview → all-or-nothing confirm) and the class dashboard with its export."""

import datetime as dt
import io

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from institutions.models import ClassMembership
from learners.models import Enrollment, Learner
from progress.models import LessonProgress, ProgressEvent
from rosters import services as roster_services
from rosters.demo import sample_roster_xlsx
from rosters.models import RosterUpload
from rosters.selectors import is_behind
from tests.conftest import client_for
from tests.factories import LearnerFactory
from tests.institutions_factories import in_group, member, official_of, staff_of
from tests.rosters_factories import (
    HEADER,
    class_with_staff,
    csv_bytes,
    good_rows,
    roster_id,
    roster_row,
    upload,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    return class_with_staff()


def preview(client, training_class, content, name="roster.xlsx"):
    return client.post(
        f"/api/v1/classes/{training_class.pk}/roster/preview/",
        {"file": upload(content, name)},
        format="multipart",
    )


def confirm(client, training_class, upload_id, **body):
    return client.post(
        f"/api/v1/classes/{training_class.pk}/roster/{upload_id}/confirm/", body, format="json"
    )


def counts():
    return (
        User.objects.count(),
        Learner.objects.count(),
        ClassMembership.objects.count(),
        Enrollment.objects.count(),
    )


# ------------------------------------------------------------------ preview


@pytest.mark.parametrize(
    "content,name",
    [
        (xlsx_bytes(good_rows()), "roster.xlsx"),
        (xlsx_bytes(good_rows(), title="2026年第一期花名册"), "titled.xlsx"),
        (csv_bytes(good_rows()), "utf8.csv"),
        (csv_bytes(good_rows(), bom=True), "bom.csv"),
        (csv_bytes(good_rows(), encoding="gbk"), "gbk.csv"),
        ("\n".join("\t".join(r) for r in [HEADER, *good_rows()]).encode("utf-16"), "unicode.txt"),
        (xlsx_bytes([[*r[:2], int(r[2]), *r[3:]] for r in good_rows()]), "numeric-phone.xlsx"),
    ],
)
def test_it_previews_a_good_roster_and_writes_nothing(setup, content, name):
    training_class, staff = setup
    before = counts()

    response = preview(client_for(staff), training_class, content, name)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["row_count"], body["ok_count"], body["error_count"], body["new_count"]) == (3, 3, 0, 3)
    first = body["rows"][0]
    assert first["name"] == "学员1" and first["status"] == "ok" and first["errors"] == []
    assert first["new"] is True and first["already_in_class"] is False
    assert first["target_group"] == "enterprise-employee" and first["district"] == "张店区"
    assert first["id_number"] == roster_id(1)[:4] + "*" * 10 + roster_id(1)[-4:]
    assert roster_id(1) not in response.content.decode()
    assert counts() == before
    assert RosterUpload.objects.get().row_count == 3


def test_it_accepts_target_group_slugs_and_the_city_prefix(setup):
    training_class, staff = setup
    rows = [roster_row(1, target_group="veteran", district="淄博市博山区")]
    body = preview(client_for(staff), training_class, csv_bytes(rows)).json()
    assert body["rows"][0]["status"] == "ok"
    assert (body["rows"][0]["target_group"], body["rows"][0]["district"]) == ("veteran", "博山区")


def test_it_reports_each_bad_row_with_its_reason(setup):
    training_class, staff = setup
    bad_check = roster_id(2)[:17] + ("0" if roster_id(2)[17] != "0" else "1")
    rows = [
        roster_row(1),
        roster_row(2, id_number=bad_check),
        roster_row(3, id_number="37030219850312"),
        roster_row(4, id_number=roster_id(1)),
        roster_row(5, district="济南市"),
        roster_row(6, target_group="学生"),
        roster_row(7, phone="12345"),
        roster_row(8, name=""),
    ]
    body = preview(client_for(staff), training_class, xlsx_bytes(rows)).json()

    assert (body["ok_count"], body["error_count"]) == (1, 7)
    errors = {row["row"]: " ".join(row["errors"]) for row in body["rows"]}
    assert errors[2] == ""
    assert "校验位" in errors[3]
    assert "18位" in errors[4] and "14位" in errors[4]
    assert "第2行" in errors[5]
    assert "区县" in errors[6]
    assert "人员类别" in errors[7]
    assert "手机号" in errors[8]
    assert "姓名" in errors[9]
    assert all(row["status"] == "error" for row in body["rows"][1:])


def test_it_explains_an_id_number_excel_stored_as_a_number(setup):
    training_class, staff = setup
    rows = [roster_row(1, id_number=float(roster_id(1)[:17] + "1"))]
    body = preview(client_for(staff), training_class, xlsx_bytes(rows)).json()
    assert "文本" in body["rows"][0]["errors"][0]


def test_it_recognises_registered_learners_and_class_members(setup):
    training_class, staff = setup
    registered = LearnerFactory(real_name="学员1", id_number=roster_id(1))
    in_class = LearnerFactory(real_name="学员2", id_number=roster_id(2))
    member(training_class, in_class)
    LearnerFactory(real_name="别人", id_number=roster_id(3))

    body = preview(client_for(staff), training_class, xlsx_bytes(good_rows())).json()

    one, two, three = body["rows"]
    assert (one["status"], one["new"], one["already_in_class"]) == ("ok", False, False)
    assert (two["status"], two["new"], two["already_in_class"]) == ("ok", False, True)
    assert three["status"] == "error" and "姓名与注册信息不一致" in three["errors"][0]
    assert registered.pk


# ------------------------------------------------------------------ confirm


def test_it_imports_a_roster_creating_members_and_enrolments(setup):
    training_class, staff = setup
    existing = LearnerFactory(real_name="学员1", id_number=roster_id(1))
    client = client_for(staff)
    body = preview(client, training_class, xlsx_bytes(good_rows())).json()

    response = confirm(client, training_class, body["upload_id"], checksum=body["checksum"])

    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 2, "added": 3, "enrolled": 3}
    for n in (1, 2, 3):
        learner = Learner.objects.with_id_number(roster_id(n)).get()
        assert learner.real_name == f"学员{n}"
        assert ClassMembership.objects.filter(training_class=training_class, learner=learner).exists()
        assert Enrollment.objects.filter(
            learner=learner, course=training_class.course, source="class"
        ).exists()
    created = Learner.objects.with_id_number(roster_id(2)).get()
    assert created.pk != existing.pk
    assert not created.user.has_usable_password()
    assert created.user.username.startswith("zb") and roster_id(2)[:14] not in created.user.username
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM learners_learner WHERE id = %s", [created.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert roster_id(2) not in stored_id and created.phone not in stored_phone
    stored = RosterUpload.objects.get()
    assert stored.confirmed_at is not None and stored.payload == ""
    assert confirm(client, training_class, body["upload_id"]).status_code == 409


def test_confirm_refuses_a_roster_with_a_bad_row_and_writes_nothing(setup):
    training_class, staff = setup
    client = client_for(staff)
    rows = [roster_row(1), roster_row(2, district="历下区"), roster_row(3)]
    body = preview(client, training_class, xlsx_bytes(rows)).json()
    before = counts()

    response = confirm(client, training_class, body["upload_id"])

    assert response.status_code == 400
    assert "第3行" in response.json()["detail"]
    assert counts() == before
    assert RosterUpload.objects.get().confirmed_at is None


def test_confirm_rolls_back_when_an_id_is_registered_after_the_preview(setup):
    training_class, staff = setup
    client = client_for(staff)
    body = preview(client, training_class, xlsx_bytes(good_rows())).json()
    LearnerFactory(real_name="学员2", id_number=roster_id(2))
    before = counts()

    response = confirm(client, training_class, body["upload_id"])

    assert response.status_code == 409
    assert "第3行" in response.json()["detail"]
    assert counts() == before
    assert not Learner.objects.with_id_number(roster_id(1)).exists()


def test_confirm_refuses_a_roster_that_would_overfill_the_class_and_writes_nothing(setup):
    training_class, staff = setup
    training_class.capacity = 2
    training_class.save(update_fields=["capacity"])
    client = client_for(staff)
    body = preview(client, training_class, xlsx_bytes(good_rows())).json()
    before = counts()

    response = confirm(client, training_class, body["upload_id"])

    assert response.status_code == 409
    assert "班级已满" in response.json()["detail"] and "本次未导入任何数据" in response.json()["detail"]
    assert counts() == before


def test_confirm_rolls_back_everything_when_a_row_fails_midway(setup, monkeypatch):
    """A registration that commits between the confirm's look-up and its insert (simulated
    inside the transaction) makes the insert fail: the rows already written are undone."""
    training_class, staff = setup
    client = client_for(staff)
    body = preview(client, training_class, xlsx_bytes(good_rows())).json()
    before = counts()
    real_register = roster_services.learner_register
    calls = []

    def racing_register(**fields):
        calls.append(fields["id_number"])
        if len(calls) == 2:
            LearnerFactory(id_number=fields["id_number"], real_name="抢先注册")
        return real_register(**fields)

    monkeypatch.setattr(roster_services, "learner_register", racing_register)

    response = confirm(client, training_class, body["upload_id"])

    assert response.status_code == 409
    assert len(calls) == 2
    assert counts() == before
    assert not Learner.objects.with_id_number(roster_id(1)).exists()


def test_confirm_refuses_another_checksum_an_expired_preview_and_another_class(setup):
    training_class, staff = setup
    client = client_for(staff)
    body = preview(client, training_class, xlsx_bytes(good_rows())).json()
    assert confirm(client, training_class, body["upload_id"], checksum="0" * 64).status_code == 400

    other_class, _ = class_with_staff()
    other_class.institution = training_class.institution
    other_class.save()
    assert confirm(client, other_class, body["upload_id"]).status_code == 404

    RosterUpload.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert confirm(client, training_class, body["upload_id"]).status_code == 410
    assert Learner.objects.count() == 0


# ------------------------------------------------------------------ limits and malformed files


@pytest.mark.parametrize(
    "content,words",
    [
        (b"\x00\x01\x02 not a roster \xff\xfe\x00", "编码"),
        (b"PK\x03\x04" + b"broken" * 50, "损坏"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, ".xls"),
        (b"", "空"),
        (csv_bytes([["a", "b"]], header=["名字", "证件"]), "表头"),
        (csv_bytes([roster_row(1)[:3]], header=HEADER[:3]), "区县、人员类别"),
        (xlsx_bytes([]), "没有学员"),
    ],
)
def test_it_answers_400_naming_what_is_wrong_with_a_malformed_file(setup, content, words):
    training_class, staff = setup
    response = preview(client_for(staff), training_class, content, "roster.csv")
    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert RosterUpload.objects.count() == 0


def test_it_answers_400_without_a_file(setup):
    training_class, staff = setup
    response = client_for(staff).post(
        f"/api/v1/classes/{training_class.pk}/roster/preview/", {}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["detail"]


def test_it_answers_413_for_a_file_or_roster_too_large(setup, settings):
    training_class, staff = setup
    client = client_for(staff)
    settings.ROSTER_MAX_ROWS = 3
    response = preview(client, training_class, xlsx_bytes(good_rows(4)))
    assert response.status_code == 413 and "3" in response.json()["detail"]
    assert preview(client, training_class, csv_bytes(good_rows(3))).status_code == 201
    settings.ROSTER_MAX_BYTES = 1000
    response = preview(client, training_class, csv_bytes(good_rows(3)) + b" " * 1000)
    assert response.status_code == 413 and response.json()["detail"]


# ------------------------------------------------------------------ permissions


def test_others_cannot_import_into_a_class(setup):
    training_class, staff = setup
    content = xlsx_bytes(good_rows())
    other_staff = staff_of(class_with_staff()[0].institution)
    learner = LearnerFactory()
    official = official_of(training_class.district)
    from rest_framework.test import APIClient

    assert preview(APIClient(), training_class, content).status_code == 401
    assert preview(client_for(learner.user), training_class, content).status_code == 403
    assert preview(client_for(other_staff), training_class, content).status_code == 404
    assert preview(client_for(official), training_class, content).status_code == 403
    assert preview(client_for(in_group("Bureau")), training_class, content).status_code == 403
    body = preview(client_for(staff), training_class, content).json()
    assert confirm(client_for(other_staff), training_class, body["upload_id"]).status_code == 404
    assert confirm(client_for(official), training_class, body["upload_id"]).status_code == 403
    assert Learner.objects.count() == 1


def test_dashboard_readers_are_staff_officials_of_the_district_and_the_bureau(setup):
    training_class, staff = setup
    url = f"/api/v1/classes/{training_class.pk}/dashboard/"
    from rest_framework.test import APIClient

    assert APIClient().get(url).status_code == 401
    assert client_for(LearnerFactory().user).get(url).status_code == 403
    assert client_for(staff_of(class_with_staff()[0].institution)).get(url).status_code == 404
    assert client_for(official_of("沂源县")).get(url).status_code == 404
    for reader in (staff, official_of(training_class.district), in_group("Bureau"), in_group("Auditors")):
        assert client_for(reader).get(url).status_code == 200


def test_web_pages_redirect_anonymous_and_refuse_others(client, setup):
    training_class, staff = setup
    base = f"/institution/rosters/classes/{training_class.pk}"
    for path in (
        f"{base}/import/",
        f"{base}/dashboard/",
        f"{base}/dashboard.xlsx",
        "/institution/rosters/template.xlsx",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(LearnerFactory().user)
    assert client.get(f"{base}/import/").status_code == 403
    assert client.get(f"{base}/dashboard/").status_code == 403
    client.force_login(staff_of(class_with_staff()[0].institution))
    assert client.get(f"{base}/import/").status_code == 404
    assert client.get(f"{base}/dashboard.xlsx").status_code == 404
    client.force_login(official_of(training_class.district))
    assert client.get(f"{base}/import/").status_code == 403
    assert client.get(f"{base}/dashboard/").status_code == 200


# ------------------------------------------------------------------ web flow, template, demo


def test_staff_import_a_roster_through_the_pages(client, setup):
    training_class, staff = setup
    client.force_login(staff)
    base = f"/institution/rosters/classes/{training_class.pk}"
    assert client.get(f"{base}/import/").status_code == 200

    page = client.post(f"{base}/import/", {"file": upload(xlsx_bytes(good_rows()))})

    assert page.status_code == 200
    html = page.content.decode()
    assert "确认导入 3 人" in html and roster_id(1) not in html and roster_id(1)[-4:] in html
    assert Learner.objects.count() == 0
    stored = RosterUpload.objects.get()
    response = client.post(f"{base}/import/{stored.pk}/confirm/", {"checksum": stored.checksum})
    assert response.status_code == 302 and response["Location"] == f"{base}/dashboard/"
    assert ClassMembership.objects.filter(training_class=training_class).count() == 3


def test_the_import_page_shows_file_errors_and_has_no_confirm_for_bad_rows(client, setup):
    training_class, staff = setup
    client.force_login(staff)
    base = f"/institution/rosters/classes/{training_class.pk}"
    assert client.post(f"{base}/import/", {"file": upload(b"PK\x03\x04junk")}).status_code == 400
    page = client.post(f"{base}/import/", {"file": upload(csv_bytes([roster_row(1, district="x")]), "r.csv")})
    assert page.status_code == 200
    assert "确认导入" not in page.content.decode() and "有错误" in page.content.decode()


def test_the_template_and_the_sample_roster_are_importable(client, setup):
    training_class, staff = setup
    client.force_login(staff)
    template = client.get("/institution/rosters/template.xlsx")
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content)).active
    assert [cell.value for cell in sheet[1]] == HEADER

    body = preview(client_for(staff), training_class, sample_roster_xlsx()).json()
    assert (body["ok_count"], body["error_count"], body["new_count"]) == (5, 0, 5)
    sample = client.get("/institution/rosters/template.xlsx?sample=1")
    filled = [
        row for row in load_workbook(io.BytesIO(sample.content)).active.iter_rows(values_only=True) if row[0]
    ]
    assert len(filled) == 6


# ------------------------------------------------------------------ dashboard


def progress(learner, lesson, seconds, completed=False):
    return LessonProgress.objects.create(
        learner=learner,
        lesson=lesson,
        credited_seconds=seconds,
        completed_at=timezone.now() if completed else None,
    )


def test_is_behind_rules():
    now = timezone.now()
    day = dt.timedelta(days=1)
    assert is_behind(completed=False, credited_share=0.9, opens_at=now - day, due_at=now + 2 * day, now=now)
    assert is_behind(completed=False, credited_share=1.0, opens_at=now - 9 * day, due_at=now - day, now=now)
    assert not is_behind(
        completed=True, credited_share=0.1, opens_at=now - 9 * day, due_at=now - day, now=now
    )
    assert is_behind(
        completed=False, credited_share=0.4, opens_at=now - 10 * day, due_at=now + 10 * day, now=now
    )
    assert not is_behind(
        completed=False, credited_share=0.6, opens_at=now - 10 * day, due_at=now + 10 * day, now=now
    )


def test_dashboard_flags_learners_behind_and_sorts_them_first(setup):
    now = timezone.now()
    training_class, staff = class_with_staff(
        lessons=2,
        duration=1800,
        required_hours=1,
        opens_at=now - dt.timedelta(days=10),
        due_at=now + dt.timedelta(days=10),
    )
    first, second = training_class.course.lessons.order_by("sort_order")
    ahead, late, done = (
        LearnerFactory(real_name="甲"),
        LearnerFactory(real_name="乙"),
        LearnerFactory(real_name="丙"),
    )
    for learner in (ahead, late, done):
        member(training_class, learner)
    progress(ahead, first, 1800, completed=True)
    progress(ahead, second, 600)
    progress(late, first, 600)
    progress(done, first, 1800, completed=True)
    progress(done, second, 1800, completed=True)
    latest = timezone.now() + dt.timedelta(minutes=5)
    ProgressEvent.objects.create(learner=late, received_at=latest, status=ProgressEvent.Status.ACCEPTED)

    body = client_for(staff).get(f"/api/v1/classes/{training_class.pk}/dashboard/").json()

    rows = {row["name"]: row for row in body["members"]}
    assert [row["name"] for row in body["members"]][0] == "乙"
    assert rows["乙"]["behind"] is True and rows["甲"]["behind"] is False and rows["丙"]["behind"] is False
    assert rows["甲"]["credited_seconds"] == 2400 and rows["甲"]["required_seconds"] == 3600
    assert (rows["甲"]["completed_lessons"], rows["甲"]["total_lessons"]) == (1, 2)
    assert rows["丙"]["completed"] is True and rows["丙"]["completion"] == 1.0
    assert dt.datetime.fromisoformat(rows["乙"]["last_activity"]) == latest and body["behind_count"] == 1
    assert rows["甲"]["last_activity"] is not None

    training_class.assignments.update(due_at=now + dt.timedelta(days=2))
    body = client_for(staff).get(f"/api/v1/classes/{training_class.pk}/dashboard/").json()
    assert {row["name"] for row in body["members"] if row["behind"]} == {"甲", "乙"}


def test_dashboard_without_assignments_uses_the_class_course_and_dates(setup):
    training_class, staff = class_with_staff(assign=False)
    learner = LearnerFactory()
    member(training_class, learner)
    body = client_for(staff).get(f"/api/v1/classes/{training_class.pk}/dashboard/").json()
    assert body["modules"][0]["total_lessons"] == 2
    assert body["members"][0]["total_lessons"] == 2


def _dashboard_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/classes/{}/dashboard/",
        "/institution/rosters/classes/{}/dashboard/",
        "/institution/rosters/classes/{}/dashboard.xlsx",
    ],
)
def test_dashboard_queries_do_not_grow_with_the_class(client, setup, path, django_assert_max_num_queries):
    training_class, staff = setup
    lessons = list(training_class.course.lessons.all())
    client.force_login(staff)
    url = path.format(training_class.pk)

    def add_members(count):
        for _ in range(count):
            learner = LearnerFactory()
            member(training_class, learner)
            progress(learner, lessons[0], 100)

    add_members(3)
    client.get(url)
    few = _dashboard_queries(client, url)
    # session, user, roles, class, assignments, their lessons, course lessons, members,
    # lesson progress, latest events; the export also writes its audit entry
    assert few <= (11 if path.endswith(".xlsx") else 10)
    add_members(27)
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200
    assert _dashboard_queries(client, url) == few


def test_dashboard_page_and_export_mask_personal_data(client, setup):
    training_class, staff = setup
    learners = [LearnerFactory(real_name=f"学员{n}") for n in range(3)]
    for learner in learners:
        member(training_class, learner)
    client.force_login(staff)
    base = f"/institution/rosters/classes/{training_class.pk}"

    page = client.get(f"{base}/dashboard/").content.decode()
    api_body = client_for(staff).get(f"/api/v1/classes/{training_class.pk}/dashboard/").content.decode()
    export = client.get(f"{base}/dashboard.xlsx")

    assert export.status_code == 200 and "attachment" in export["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(export.content))
    sheet = workbook.active
    cells = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert training_class.name in cells[0] and any(training_class.course.title in c for c in cells)
    assert "姓名" in cells and "身份证号（脱敏）" in cells
    assert sheet.freeze_panes is not None
    for learner in learners:
        for text in (page, api_body, " ".join(cells)):
            assert learner.id_number not in text and learner.phone not in text
        assert learner.masked_id_number in cells and learner.masked_phone in cells
