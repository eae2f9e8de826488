"""The unified reports' pages (统一报表 /reports/, its Excel download, 目标任务与就业基数
/reports/tasks/): who may open them, what each reader sees (a district official only their
district), the filters in the URL, a 400 with the reason for a filter no report can be made
for, the audit trail, the bureau's xlsx imports (a good file imported, a bad one refused with
its wrong lines named) and the chart's script served from this site. The browser side (the
chart drawn on a 390 px phone): test_reports_browser.py."""

import io
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from audit.models import AuditAction, AuditEntry
from reports.demo import seed_reports_demo
from reports.models import EmploymentBase, TrainingTask
from reports.selectors import current_period
from tests.conftest import client_for
from tests.factories import enroll, make_course
from tests.institutions_factories import in_group, make_world
from tests.progress_helpers import Player, send
from tests.rosters_factories import xlsx_bytes
from vocabulary.people import District

pytestmark = pytest.mark.django_db

TASK_HEADER = ["年度", "区县", "培训对象", "目标任务（人次）", "依据"]
READERS = ["official", "bureau", "auditor"]
OUTSIDERS = ["learner", "staff", "hr", "editor"]


@pytest.fixture
def world():
    world = make_world()
    seed_reports_demo()
    for learner in (world.learner_a, world.learner_b):  # one completion in 张店区, one in 淄川区
        course = make_course(lessons=1, duration=30)
        enroll(learner, course)
        lesson = course.lessons.get()
        send(client_for(learner.user), Player(lesson.pk).watch(0, lesson.duration, at=0))
    return world


def person(world, persona):
    return {
        "learner": world.learner_a.user,
        "staff": world.staff_a,
        "hr": world.hr_a,
        "editor": world.editor,
        "official": world.official,
        "bureau": world.bureau,
        "auditor": world.auditor,
    }[persona]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section(html: str, element_id: str) -> str:
    found = re.search(rf'<table[^>]*id="{element_id}".*?</table>', html, re.S)
    assert found, element_id
    return found.group(0)


def district_row(html: str, district: str) -> str:
    found = re.search(
        rf"<tr>\s*<th scope=\"row\">{district}</th>(.*?)</tr>", section(html, "report-table"), re.S
    )
    assert found, district
    return found.group(1)


def figures_now(row: str) -> list[str]:
    return re.findall(r'class="figure-now">([^<]*)<', row)


def main_of(html: str) -> str:
    return re.search(r"<main.*?</main>", html, re.S).group(0)


# ---------------------------------------------------------------- who may open the pages


@pytest.mark.parametrize("url", ["/reports/", "/reports/export.xlsx", "/reports/tasks/"])
def test_an_anonymous_visitor_is_asked_to_log_in(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={url}")


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize("url", ["/reports/", "/reports/export.xlsx", "/reports/tasks/"])
def test_other_roles_get_a_403(world, persona, url):
    response = logged_in(person(world, persona)).get(url)
    assert response.status_code == 403
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize("persona", ["official", "auditor"])
@pytest.mark.parametrize(
    "url", ["/reports/tasks/", "/reports/tasks/template-tasks.xlsx", "/reports/tasks/template-base.xlsx"]
)
def test_the_task_table_is_the_bureaus(world, persona, url):
    assert logged_in(person(world, persona)).get(url).status_code == 403
    assert logged_in(world.bureau).get(url).status_code == 200


def test_a_district_official_sees_only_their_district(world):
    response = logged_in(world.official).get("/reports/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "张店区统一报表" in html
    main = main_of(html)
    for other in District.values[1:]:
        assert other not in main, other
    table = section(html, "report-table")
    assert table.count('<th scope="row">') == 2  # 张店区 and the totals
    assert figures_now(district_row(html, "张店区"))[1] == "1"  # completions
    assert 'id="filter-district"' not in html
    assert "/reports/tasks/" not in main


def test_a_district_official_cannot_ask_for_another_district(world):
    response = logged_in(world.official).get("/reports/?district=淄川区")
    assert response.status_code == 400
    assert "您只能查看本区县的报表" in response.content.decode()
    assert 'id="report-table"' not in response.content.decode()


@pytest.mark.parametrize("persona", ["bureau", "auditor"])
def test_the_bureau_and_auditors_see_every_district_with_the_totals(world, persona):
    html = logged_in(person(world, persona)).get("/reports/").content.decode()
    assert "全市统一报表" in html
    table = section(html, "report-table")
    for district in District.values:
        assert f'<th scope="row">{district}</th>' in table
    assert figures_now(district_row(html, "张店区"))[1] == "1"
    assert figures_now(district_row(html, "淄川区"))[1] == "1"
    totals = re.search(r"<tfoot>.*?</tfoot>", table, re.S).group(0)
    assert figures_now(totals)[:2] == ["2", "2"]  # trainees, completions
    assert "44100" in totals  # the demo tasks of the year
    assert ("/reports/tasks/" in main_of(html)) is (persona == "bureau")


# ---------------------------------------------------------------- filters in the URL


def test_the_filters_narrow_the_report(world):
    client = logged_in(world.bureau)
    year = current_period(quarterly=False).year
    html = client.get(f"/reports/?year={year}&district=淄川区").content.decode()
    table = section(html, "report-table")
    assert '<th scope="row">淄川区</th>' in table and "张店区" not in table
    assert '<option value="淄川区" selected>' in html

    last_year = client.get(f"/reports/?year={year - 1}").content.decode()
    assert f'<h2 id="report-title">{year - 1}年' in last_year
    assert figures_now(district_row(last_year, "张店区"))[1] == "0"  # the completion is this year's
    # The previous period is shown beside the current: this year's completion is last year's "上期".
    assert "上期 1" not in section(last_year, "report-table")
    this_year = client.get(f"/reports/?year={year + 1}").content.decode()
    assert "上期 1" in district_row(this_year, "张店区")

    quarter = current_period().quarter
    quarterly = client.get(f"/reports/?year={year}&quarter={quarter}").content.decode()
    assert f"{year}年第{quarter}季度" in quarterly
    assert figures_now(district_row(quarterly, "张店区"))[1] == "1"


def test_the_cut_is_chosen_in_the_url(world):
    client = logged_in(world.bureau)
    by_group = client.get("/reports/").content.decode()
    assert "按培训对象分类" in by_group and "企业职工" in section(by_group, "cut-table")
    by_institution = client.get("/reports/?cut=institution").content.decode()
    assert "按培训机构分类" in by_institution
    assert "自学（无班级）" in section(by_institution, "cut-table")  # the courses were no class's
    assert 'href="?year=' in by_institution and "cut=channel" in by_institution


@pytest.mark.parametrize(
    "query, message",
    [
        ("year=abc", "年度须为"),
        ("year=1999", "年度须为"),
        ("year=２０２６", "年度须为"),
        ("year=2026&quarter=5", "季度须为"),
        ("cut=salary", "分类方式须为"),
        ("district=上海市", "没有这个区县"),
    ],
)
def test_a_filter_no_report_can_be_made_for_is_a_400_with_the_reason(world, query, message):
    for path in ("/reports/", "/reports/export.xlsx"):
        response = logged_in(world.bureau).get(f"{path}?{query}")
        assert response.status_code == 400
        assert message in response.content.decode()
    assert AuditEntry.objects.count() == 0


# ---------------------------------------------------------------- audit, export, charts


def test_each_view_of_the_report_is_audited(world):
    year = current_period(quarterly=False).year
    logged_in(world.official).get(f"/reports/?year={year}&quarter=1&cut=channel")
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.subject) == (
        world.official,
        AuditAction.VIEW,
        "reports.training",
    )
    assert entry.detail == {"year": year, "quarter": 1, "cut": "channel", "district": ""}


def test_the_excel_download_is_the_pages_report(world):
    html = logged_in(world.official).get("/reports/").content.decode()
    link = re.search(r'href="([^"]+)" id="report-export"', html).group(1).replace("&amp;", "&")
    assert link.startswith("/reports/export.xlsx?year=")
    response = logged_in(world.official).get(link)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["张店区", "合计"]
    assert rows[1][2] == 1  # completions
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=world.official).count() == 1


def test_the_bureaus_download_follows_the_district_filter(world):
    response = logged_in(world.bureau).get("/reports/export.xlsx?district=淄川区")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["淄川区", "合计"]


def test_the_charts_script_and_data_come_from_this_site(world):
    html = logged_in(world.bureau).get("/reports/").content.decode()
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    assert "/static/vendor/chartjs/chart.umd.min.js" in sources
    assert "/static/reports/charts.js" in sources
    assert all(source.startswith("/") and not source.startswith("//") for source in sources), sources
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', html)
    data = re.search(r'<script id="report-chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert data and '"completions"' in data.group(1)
    for source in sources:  # the files staticfiles serves (collectstatic, whitenoise)
        assert finders.find(source.removeprefix(settings.STATIC_URL)), source


# ---------------------------------------------------------------- the bureau's task table


def test_the_task_page_shows_the_years_tasks_and_base_with_demo_marks(world):
    html = logged_in(world.bureau).get("/reports/tasks/").content.decode()
    tasks = section(html, "tasks-table")
    assert "张店区" in tasks and "8000" in tasks and "演示数据" in tasks
    assert "520000" in section(html, "base-table")
    assert "/reports/tasks/template-tasks.xlsx" in html and "/reports/tasks/template-base.xlsx" in html
    assert logged_in(world.bureau).get("/reports/tasks/?year=abc").status_code == 400


def test_the_templates_download(world):
    response = logged_in(world.bureau).get("/reports/tasks/template-tasks.xlsx?year=2027")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]][:4] == TASK_HEADER[:4]
    assert sheet["A2"].value == 2027


def upload(client, table, content, name="tasks.xlsx"):
    return client.post(
        "/reports/tasks/", {"table": table, f"{table}-file": SimpleUploadedFile(name, content)}
    )


def test_a_good_task_table_is_imported(world):
    client = logged_in(world.bureau)
    content = xlsx_bytes(
        [[2027, "张店区", "", 9000, "淄人社发〔2027〕1号"], [2027, "淄川区", "失业人员", 600, ""]],
        TASK_HEADER,
    )
    response = upload(client, "tasks", content)
    assert response.status_code == 302 and response["Location"] == "/reports/tasks/?year=2027"
    page = client.get(response["Location"]).content.decode()
    assert "已导入年度目标任务 2 行" in page
    assert "9000" in section(page, "tasks-table")
    task = TrainingTask.objects.get(year=2027, district="张店区", target_group="")
    assert (task.target, task.is_demo) == (9000, False)


def test_a_bad_table_is_refused_with_each_wrong_line_named(world):
    before = TrainingTask.objects.count()
    content = xlsx_bytes(
        [[2027, "张店区", "", 9000, ""], [2027, "上海市", "", 10, ""], [1990, "淄川区", "", -5, ""]],
        TASK_HEADER,
    )
    response = upload(logged_in(world.bureau), "tasks", content)
    assert response.status_code == 400
    html = response.content.decode()
    assert "未导入任何一行" in html
    assert "第 3 行" in html and "上海市" in html and "第 4 行" in html
    assert TrainingTask.objects.count() == before


def test_an_employment_base_is_imported_and_a_wrong_one_refused(world):
    client = logged_in(world.bureau)
    header = ["年度", "区县", "就业人员", "技能劳动者", "高技能人才", "来源"]
    good = xlsx_bytes([[2027, "博山区", 200000, 60000, 20000, "统计公报"]], header)
    assert upload(client, "base", good, "base.xlsx").status_code == 302
    base = EmploymentBase.objects.get(year=2027, district="博山区")
    assert (base.skilled, base.is_demo) == (60000, False)
    wrong = xlsx_bytes([[2027, "博山区", 1000, 2000, 10, ""]], header)
    response = upload(client, "base", wrong, "base.xlsx")
    assert (
        response.status_code == 400
        and "技能劳动者（2000）不能多于就业人员（1000）" in response.content.decode()
    )


def test_an_upload_without_a_file_or_table_is_a_400(world):
    client = logged_in(world.bureau)
    assert client.post("/reports/tasks/", {"table": "tasks"}).status_code == 400
    assert client.post("/reports/tasks/", {"table": "salaries"}).status_code == 400
    assert upload(client, "tasks", b"not a spreadsheet at all\x00\x01", "x.xlsx").status_code == 400


def test_a_district_official_cannot_import(world):
    content = xlsx_bytes([[2027, "张店区", "", 1, ""]], TASK_HEADER)
    assert upload(logged_in(world.official), "tasks", content).status_code == 403
    assert not TrainingTask.objects.filter(year=2027).exists()


# ---------------------------------------------------------------- the demo


def test_the_demo_tasks_are_idempotent_and_marked(world):
    count = TrainingTask.objects.count()
    assert seed_reports_demo() == {"tasks": 0, "bases": 0}
    assert TrainingTask.objects.count() == count == 2 * 11 * 4
    assert EmploymentBase.objects.count() == 2 * 11
    assert not TrainingTask.objects.filter(is_demo=False).exists()
    year = current_period(quarterly=False).year
    assert (
        sum(TrainingTask.objects.filter(year=year, target_group="").values_list("target", flat=True)) == 44100
    )


def test_a_superuser_reads_as_the_bureau(world):
    admin = in_group("Nobody", is_staff=True, is_superuser=True)
    assert logged_in(admin).get("/reports/").status_code == 200
    assert logged_in(admin).get("/reports/tasks/").status_code == 200


def test_the_header_offers_the_reports_and_marks_the_page_open(world):
    html = logged_in(world.bureau).get("/reports/tasks/").content.decode()
    nav = re.search(r'<nav class="site-nav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    assert '<a class="site-nav__tool" href="/reports/">统一报表</a>' in nav
    assert '<a class="site-nav__tool" href="/reports/tasks/" aria-current="page">目标任务</a>' in nav
    official = logged_in(world.official).get("/reports/").content.decode()
    assert 'href="/reports/" aria-current="page">统一报表</a>' in official
    assert 'href="/reports/tasks/"' not in official and 'href="/integrity/records/"' not in official
    assert 'href="/integrity/cases/"' in official


def test_the_report_page_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    """Six queries per report (reports.selectors.training_report): the period, the previous one,
    the year's quarters so far (at most four); the cut, the goals (1) and the task progress (2);
    the session, the user, the roles, the audit entry. Whatever the number of learners."""
    client = logged_in(world.bureau)
    client.get("/reports/")
    with django_assert_max_num_queries(50):  # 6 × 6 + 5 + 1 + 2 + 3 + 1 = 48 in the fourth quarter
        assert client.get("/reports/?cut=institution").status_code == 200
