"""The task table and the employment base: the xlsx imports (all lines or none, a message per
wrong line), their templates, and the Wagtail screens only the bureau reaches."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from openpyxl import Workbook, load_workbook

from reports.export import employment_base_template, training_tasks_template
from reports.forms import TableImportForm
from reports.models import EmploymentBase, TrainingTask
from reports.services import ImportRefused, employment_base_import, training_tasks_import
from tests.factories import UserFactory
from tests.institutions_factories import in_group, official_of
from vocabulary.people import District

TASK_HEADER = ["年度", "区县", "培训对象", "目标任务（人次）", "依据"]
BASE_HEADER = ["年度", "区县", "就业人员", "技能劳动者", "高技能人才", "来源"]


def xlsx(*rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refused(call, content) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        call(content, "table.xlsx", None)
    return caught.value


# ---------------------------------------------------------------- the task table


def test_task_template_filled_in_imports(db):
    workbook = load_workbook(io.BytesIO(training_tasks_template(2026)))
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == TASK_HEADER
    assert [sheet.cell(row=r, column=2).value for r in range(2, 13)] == list(District.values)
    for r in range(2, 13):
        sheet.cell(row=r, column=4, value=100 * r)
    sheet.append([2026, "张店区", "失业人员", 40, "淄人社字〔2026〕1号"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = training_tasks_import(buffer.getvalue(), "任务.xlsx", None)
    assert (result.rows, result.created, result.updated, result.years) == (12, 12, 0, [2026])
    assert TrainingTask.objects.get(year=2026, district="张店区", target_group="").target == 200
    unemployed = TrainingTask.objects.get(year=2026, district="张店区", target_group="unemployed")
    assert unemployed.target == 40 and unemployed.note == "淄人社字〔2026〕1号"


def test_a_template_downloaded_in_english_imports_as_it_is(db):
    """The help sheet reads in the reader's language; the header row stays the one the import
    reads."""
    with translation.override("en"):
        workbook = load_workbook(io.BytesIO(employment_base_template(2026)))
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == BASE_HEADER
    assert "Chinese" in " ".join(str(row[0].value) for row in workbook.worksheets[1].iter_rows())
    for r in range(2, 13):
        for column, value in ((3, 1000), (4, 300), (5, 100)):
            sheet.cell(row=r, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert employment_base_import(buffer.getvalue(), "base.xlsx", None).rows == 11


def test_task_import_updates_existing_lines_and_clears_demo(db):
    TrainingTask.objects.create(year=2026, district="淄川区", target=5, is_demo=True)
    content = xlsx(
        TASK_HEADER, [2026, "淄川区", "", 80, ""], ["2027年", "淄博市博山区", "unemployed", "1,200", ""]
    )
    result = training_tasks_import(content, "t.xlsx", None)
    assert (result.created, result.updated, result.years) == (1, 1, [2026, 2027])
    task = TrainingTask.objects.get(year=2026, district="淄川区")
    assert task.target == 80 and task.is_demo is False
    assert TrainingTask.objects.get(year=2027, district="博山区", target_group="unemployed").target == 1200


def test_task_import_is_all_or_nothing_with_a_message_per_line(db):
    content = xlsx(
        TASK_HEADER,
        [2026, "张店区", "", 10, ""],  # row 2: good
        [2026, "北京市", "", 10, ""],  # row 3: unknown district
        [2018, "淄川区", "", 10, ""],  # row 4: year out of range
        [2026, "博山区", "", -3, ""],  # row 5: negative
        [2026, "周村区", "", 2.5, ""],  # row 6: not whole
        [2026, "临淄区", "外星人", 5, ""],  # row 7: unknown target group
        [2026, "张店区", "", 12, ""],  # row 8: duplicate of row 2
        [2026, "桓台县", "", "", ""],  # row 9: no target
    )
    error = refused(training_tasks_import, content)
    assert "未导入任何一行" in error.message
    assert [line.split("：")[0] for line in error.errors] == [f"第 {n} 行" for n in range(3, 10)]
    text = " ".join(error.errors)
    for words in (
        "北京市",
        "2019 至 2100",
        "不能为负数",
        "须为整数",
        "外星人",
        "与第 2 行重复",
        "缺少目标任务",
    ):
        assert words in text, words
    assert not TrainingTask.objects.exists()


def test_task_import_without_header_or_rows_is_refused(db):
    assert "表头" in refused(training_tasks_import, xlsx(["a", "b"], [1, 2])).message
    assert "没有数据行" in refused(training_tasks_import, xlsx(TASK_HEADER)).message
    assert refused(training_tasks_import, b"").message
    assert "xls" in refused(training_tasks_import, b"\xd0\xcf\x11\xe0" + b"\x00" * 100).message


def test_task_import_reads_csv(db):
    content = "年度,区县,目标任务\n2026,高新区,30\n".encode("gbk")
    assert training_tasks_import(content, "t.csv", None).created == 1
    assert TrainingTask.objects.get(district="高新区").target == 30


def test_too_many_rows_is_a_413(db, settings):
    settings.REPORTS_IMPORT_MAX_ROWS = 2
    content = xlsx(TASK_HEADER, *[[2026, district, "", 1, ""] for district in District.values[:4]])
    assert refused(training_tasks_import, content).status == 413


# ---------------------------------------------------------------- the employment base


def test_base_template_filled_in_imports(db):
    workbook = load_workbook(io.BytesIO(employment_base_template(2026)))
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == BASE_HEADER
    sheet.delete_rows(3, 20)
    sheet["C2"], sheet["D2"], sheet["E2"], sheet["F2"] = 500000, 130000, 40000, "2026年统计公报"
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = employment_base_import(buffer.getvalue(), "b.xlsx", None)
    assert (result.rows, result.created) == (1, 1)
    base = EmploymentBase.objects.get(year=2026, district="张店区")
    assert (base.employed, base.skilled, base.high_skilled, base.source) == (
        500000,
        130000,
        40000,
        "2026年统计公报",
    )


def test_base_import_checks_the_figures(db):
    EmploymentBase.objects.create(year=2026, district="张店区", employed=10, skilled=5, high_skilled=1)
    content = xlsx(
        BASE_HEADER,
        [2026, "张店区", 1000, 300, 100, ""],  # row 2: good (would update)
        [2026, "淄川区", 1000, 1200, 100, ""],  # row 3: skilled > employed
        [2026, "博山区", 1000, 300, 400, ""],  # row 4: high-skilled > skilled
        [2026, "张店区", 1000, 300, 100, ""],  # row 5: duplicate
        [2026, "周村区", "很多", 1, 0, ""],  # row 6: not a number
        [2026, "临淄区", 20_000_000, 1, 0, ""],  # row 7: too large
    )
    error = refused(employment_base_import, content)
    text = " ".join(error.errors)
    assert len(error.errors) == 5
    for words in ("不能多于就业人员", "不能多于技能劳动者", "与第 2 行重复", "“很多”须为整数", "过大"):
        assert words in text, words
    assert EmploymentBase.objects.get(district="张店区").employed == 10  # nothing written


# ---------------------------------------------------------------- the form and the screens


def test_upload_form_limits_the_size(settings):
    settings.REPORTS_IMPORT_MAX_BYTES = 10
    form = TableImportForm(files={"file": SimpleUploadedFile("t.xlsx", b"x" * 11)})
    assert not form.is_valid() and form.has_error("file", "too_large")
    settings.REPORTS_IMPORT_MAX_BYTES = 100
    form = TableImportForm(files={"file": SimpleUploadedFile("t.xlsx", b"x" * 11)})
    assert form.is_valid() and form.content == b"x" * 11


def admin_user(group: str):
    user = in_group(group, is_staff=True)
    user.groups.first().permissions.add(Permission.objects.get(codename="access_admin"))
    return user


@pytest.mark.parametrize("model", ["trainingtask", "employmentbase"])
def test_only_the_bureau_edits_tasks_and_base_in_wagtail(db, model):
    TrainingTask.objects.create(year=2026, district="张店区", target=10)
    EmploymentBase.objects.create(year=2026, district="张店区", employed=10, skilled=5, high_skilled=1)
    url = f"/admin/snippets/reports/{model}/"
    superuser = UserFactory(is_superuser=True, is_staff=True)
    for user in (superuser, admin_user("Bureau")):
        client = Client()
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert "张店区" in response.content.decode()
        assert client.get(url + "add/").status_code == 200
    for user in (admin_user("Editors"), admin_user("Auditors")):
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code in (302, 403)
        assert client.get(url + "add/").status_code in (302, 403)
    official = official_of("张店区")
    client = Client()
    client.force_login(official)
    assert client.get(url).status_code in (302, 403)


def test_bureau_adds_a_task_in_wagtail(db):
    client = Client()
    client.force_login(admin_user("Bureau"))
    response = client.post(
        "/admin/snippets/reports/trainingtask/add/",
        {"year": 2026, "district": "沂源县", "target_group": "", "target": 55, "note": "测试"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TrainingTask.objects.get(district="沂源县").target == 55
