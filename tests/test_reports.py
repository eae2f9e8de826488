"""The unified reports (统一报表): every figure against the hand count of
tests/reports_factories.py, the contract's API and its Excel download, scope by persona."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from archive.models import ExternalCertificate
from audit.models import AuditAction, AuditEntry
from reports import selectors
from reports.export import training_report_xlsx
from reports.selectors import Report, ReportRow, period_of
from tests.factories import LearnerFactory
from tests.institutions_factories import (
    EnterpriseFactory,
    InstitutionFactory,
    hr_of,
    in_group,
    official_of,
    staff_of,
)
from tests.reports_factories import BS, ZC, ZD, make_report_world, more_learners
from vocabulary.people import District

URL = "/api/v1/reports/training/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELDS = ["trainees", "completions", "credited_hours", "certificates", "subsidy_claims", "subsidy_amount"]


@pytest.fixture
def private_media(monkeypatch, tmp_path):
    location = tmp_path / "private"
    monkeypatch.setattr(ExternalCertificate._meta.get_field("scan"), "storage", FileSystemStorage(location))
    return location


@pytest.fixture
def world(db, private_media):
    return make_report_world()


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def report_json(user, **params) -> dict:
    response = client_of(user).get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def rows_by_district(body) -> dict:
    return {row["district"]: row for row in body["results"]}


def figures(row) -> list:
    return [row[name] for name in FIELDS] + [row["task"], row["task_ratio"]]


# ---------------------------------------------------------------- the figures, hand-counted


def test_first_quarter_per_district_and_totals(world):
    body = report_json(world.bureau, year=2026, quarter=1)
    assert body["year"] == 2026 and body["quarter"] == 1
    assert [row["district"] for row in body["results"]] == list(District.values)
    rows = rows_by_district(body)
    # ZD: trainees L1 (L6's 0 s span is no study); 3600 + 1800 s = 1.5 h; completion L1 at
    # 03-31 23:30 China; L1's certificate; L1's claim 1500.00; task 10 → 1/10.
    assert figures(rows[ZD]) == [1, 1, 1.5, 1, 1, "1500.00", 10, 0.1]
    # ZC: trainees L3, L4 (L4's invalidated Y span left out, its X span 1800 s counted);
    # 5400 + 1800 s = 2.0 h; completion L3 (L4's invalidated); L3's certificate revoked, L4's
    # on invalidated credit; L3's claim rejected; task 8 → 1/8.
    assert figures(rows[ZC]) == [2, 1, 2.0, 0, 0, "0.00", 8, 0.125]
    # BS: trainee L5, 1080 s = 0.3 h; completion L5; no certificate in Q1 (external one is
    # Q2); L5's claim 1200.50 (district approved); no task.
    assert figures(rows[BS]) == [1, 1, 0.3, 0, 1, "1200.50", None, None]
    # Every other district: zeros, no task.
    assert figures(rows[District.YIYUAN]) == [0, 0, 0.0, 0, 0, "0.00", None, None]
    # Totals: 4 trainees, 3 completions, 3.8 h, 1 certificate, 2 claims 2700.50, task 10 + 8 =
    # 18 → 3/18.
    assert figures(body["totals"]) == [4, 3, 3.8, 1, 2, "2700.50", 18, 0.1667]


def test_second_quarter(world):
    body = report_json(in_group("Auditors"), year=2026, quarter=2)
    rows = rows_by_district(body)
    # ZD: L2's WeChat span 7200 s, completion at 04-01 00:10 China, its certificate, claim 1000.
    assert figures(rows[ZD]) == [1, 1, 2.0, 1, 1, "1000.00", 10, 0.1]
    assert figures(rows[ZC]) == [0, 0, 0.0, 0, 0, "0.00", 8, 0.0]
    # BS: L5's external certificate issued 05-10.
    assert figures(rows[BS]) == [0, 0, 0.0, 1, 0, "0.00", None, None]
    assert figures(body["totals"]) == [1, 1, 2.0, 2, 1, "1000.00", 18, 0.0556]


def test_whole_year(world):
    body = report_json(world.bureau, year=2026)
    assert body["quarter"] is None
    rows = rows_by_district(body)
    # ZD: L1, L2; 1.5 + 2.0 h; L1, L2 completions and certificates; claims 1500 + 1000.
    assert figures(rows[ZD]) == [2, 2, 3.5, 2, 2, "2500.00", 10, 0.2]
    assert figures(rows[ZC]) == [2, 1, 2.0, 0, 0, "0.00", 8, 0.125]
    assert figures(rows[BS]) == [1, 1, 0.3, 1, 1, "1200.50", None, None]
    assert figures(body["totals"]) == [5, 4, 5.8, 3, 3, "3700.50", 18, 0.2222]


def test_previous_period_is_the_quarter_before(world):
    q1 = period_of(2026, 1)
    previous = q1.previous()
    assert (previous.year, previous.quarter) == (2025, 4)
    assert period_of(2026).previous().label == "2025年" and q1.label == "2026年第1季度"
    assert period_of(2026, 3).previous().quarter == 2
    report = selectors.training_report(previous, list(District.values))
    zd = next(row for row in report.rows if row.district == ZD)
    # L6: 3600 s on 2025-12-20, completion 2025-12-31 23:00 China (unverified: no certificate);
    # 2025's task 5 → 1/5.
    assert (zd.trainees, zd.completions, zd.credited_hours, zd.certificates, zd.task, zd.task_ratio) == (
        1,
        1,
        Decimal("1.0"),
        0,
        5,
        0.2,
    )
    assert report.totals.completions == 1 and report.totals.task == 5


def test_china_midnight_decides_the_quarter(world):
    l1, l2 = world.learners["L1"], world.learners["L2"]
    q1 = selectors.report_cut(period_of(2026, 1), [ZD], "target_group")
    q2 = selectors.report_cut(period_of(2026, 2), [ZD], "target_group")
    group = {row.key: row for row in q1}
    # 2026-03-31 23:30 China (15:30 UTC) is Q1; 2026-04-01 00:10 China (03-31 16:10 UTC) is Q2.
    assert group[l1.target_group].completions == 1 and group[l2.target_group].completions == 0
    group = {row.key: row for row in q2}
    assert group[l2.target_group].completions == 1 and group[l1.target_group].completions == 0


# ---------------------------------------------------------------- the cuts


def cut(by, quarter=1) -> dict:
    rows = selectors.report_cut(period_of(2026, quarter), [ZD, ZC, BS], by)
    return {
        row.key: (
            row.label,
            row.trainees,
            row.completions,
            row.credited_hours,
            row.certificates,
            row.subsidy_claims,
            row.subsidy_amount,
        )
        for row in rows
    }


def test_cut_by_target_group(world):
    rows = cut("target_group")
    assert rows["enterprise-employee"] == ("企业职工", 1, 1, Decimal("1.5"), 1, 1, Decimal("1500.00"))
    assert rows["rural-worker"] == ("农村转移就业劳动者", 2, 1, Decimal("2.0"), 0, 0, Decimal("0.00"))
    assert rows["veteran"] == ("退役军人", 1, 1, Decimal("0.3"), 0, 1, Decimal("1200.50"))
    assert rows["unemployed"][1:] == (0, 0, Decimal("0.0"), 0, 0, Decimal("0.00"))
    assert len(rows) == 10  # every target group, zeros included


def test_cut_by_channel(world):
    rows = cut("channel")
    # PC: L1 3600, L3 5400, L4 1800 (X) = 3.0 h; app: L1 1800 (L4's app span invalidated);
    # WeChat: L5 1080 s. Completions and the rest belong to no channel.
    assert rows["pc"] == ("PC", 3, 0, Decimal("3.0"), 0, 0, Decimal("0.00"))
    assert rows["app"] == ("App", 1, 0, Decimal("0.5"), 0, 0, Decimal("0.00"))
    assert rows["wechat"] == ("微信", 1, 0, Decimal("0.3"), 0, 0, Decimal("0.00"))


def test_cut_by_institution(world):
    rows = cut("institution")
    a, b = str(world.institution_a.pk), str(world.institution_b.pk)
    assert list(rows) == [a, b, ""]  # most completions first (1, 1), then by key; self-study last
    # A: L1 in class A (X): 1.5 h, completion, certificate, claim 1500.
    assert rows[a] == ("张店区职业培训学校", 1, 1, Decimal("1.5"), 1, 1, Decimal("1500.00"))
    # B: L3 (L4's Y credit invalidated): 1.5 h, completion; certificate revoked; claim rejected.
    assert rows[b] == ("淄川区技工学校", 1, 1, Decimal("1.5"), 0, 0, Decimal("0.00"))
    # Alone: L4's X span 1800 s and L5's 1080 s = 0.8 h; L5's completion and claim.
    assert rows[""] == ("自学（无班级）", 2, 1, Decimal("0.8"), 0, 1, Decimal("1200.50"))
    # Q2: L5's external certificate counts for the institution whose staff recorded it.
    assert cut("institution", 2)[a][4] == 1


def test_cut_by_occupation(world):
    rows = cut("occupation")
    # X: L1 5400 + L4 1800 + L5 1080 s = 2.3 h (3 trainees); L1, L5 completions; L1's
    # certificate; claims L1 1500 + L5 1200.50. Y: L3 only.
    assert rows["4-10-01-05"] == ("养老护理员", 3, 2, Decimal("2.3"), 1, 2, Decimal("2700.50"))
    assert rows["4-03-02-01"] == ("中式烹调师", 1, 1, Decimal("1.5"), 0, 0, Decimal("0.00"))
    assert set(rows) == {"4-10-01-05", "4-03-02-01"}


def test_unknown_cut_is_refused(world):
    with pytest.raises(ValueError):
        selectors.report_cut(period_of(2026, 1), [ZD], "colour")


# ---------------------------------------------------------------- goals and tasks


def test_skill_goals(world):
    rows = {row.district: row for row in selectors.skill_goals(2026, [ZD, ZC, BS])}
    assert [row.district for row in selectors.skill_goals(2026, [BS, ZD])] == [ZD, BS]
    zd, zc, bs = rows[ZD], rows[ZC], rows[BS]
    # ZD: 300/1000 = 0.3 ≥ 0.25; 100/300 = 0.3333 ≥ 0.30.
    assert (zd.skilled_share, zd.high_skilled_share, zd.meets_skilled, zd.meets_high_skilled) == (
        0.3,
        0.3333,
        True,
        True,
    )
    # ZC: 200/1000 = 0.2 < 0.25; 50/200 = 0.25 < 0.30; demo figures.
    assert (zc.skilled_share, zc.high_skilled_share, zc.meets_skilled, zc.meets_high_skilled, zc.is_demo) == (
        0.2,
        0.25,
        False,
        False,
        True,
    )
    assert bs.employed is None and bs.meets_skilled is None


def test_skill_goals_follow_settings(world, settings):
    settings.REPORTS_SKILLED_SHARE_GOAL = 0.2
    (zc,) = selectors.skill_goals(2026, [ZC])
    assert zc.meets_skilled is True


def test_task_progress(world):
    rows = selectors.task_progress(2026, [ZD, ZC, BS])
    # ZD all groups: L1, L2 → 2/10; ZD unemployed: L2 → 1/4; ZC: L3 (L4 invalidated) → 1/8.
    assert [
        (r.district, r.target_group, r.task, r.completions_to_date, r.ratio, r.is_demo) for r in rows
    ] == [
        (ZD, "", 10, 2, 0.2, False),
        (ZD, "unemployed", 4, 1, 0.25, False),
        (ZC, "", 8, 1, 0.125, True),
    ]
    until_april = selectors.task_progress(2026, [ZD], until=dt.datetime(2026, 4, 1, tzinfo=selectors.CHINA))
    assert [r.completions_to_date for r in until_april] == [1, 0]


# ---------------------------------------------------------------- scope and errors


def test_district_official_sees_only_their_district(world):
    official = official_of(ZC)
    body = report_json(official, year=2026, quarter=1)
    assert [row["district"] for row in body["results"]] == [ZC]
    assert figures(body["totals"]) == [2, 1, 2.0, 0, 0, "0.00", 8, 0.125]
    response = client_of(official).get(URL, {"year": 2026, "quarter": 1, "format": "xlsx"})
    sheet = workbook_rows(response)
    assert [row[0] for row in sheet[1:]] == ["淄川区", "合计"]
    assert "淄川区" in response["Content-Disposition"] or "filename*" in response["Content-Disposition"]


@pytest.mark.parametrize("persona", ["learner", "staff", "hr", "editor", "plain"])
def test_other_roles_get_403(world, persona):
    users = {
        "learner": lambda: LearnerFactory().user,
        "staff": lambda: staff_of(InstitutionFactory()),
        "hr": lambda: hr_of(EnterpriseFactory()),
        "editor": lambda: in_group("Editors"),
        "plain": lambda: in_group("Nobody"),
    }
    for params in ({"year": 2026}, {"year": 2026, "format": "xlsx"}):
        response = client_of(users[persona]()).get(URL, params)
        assert response.status_code == 403
        assert "市人社局" in response.json()["detail"]


def test_anonymous_gets_401(world):
    response = Client().get(URL, {"year": 2026, "format": "xlsx"})
    assert response.status_code == 401 and response.json()["detail"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "year"),
        ({"year": "2018"}, "year"),
        ({"year": "2101"}, "year"),
        ({"year": "二〇二六"}, "year"),
        ({"year": "２０２６"}, "year"),
        ({"year": "2026", "quarter": "5"}, "quarter"),
        ({"year": "2026", "quarter": "0"}, "quarter"),
        ({"year": "2026", "quarter": "一"}, "quarter"),
        ({"year": "2026", "quarter": "1", "format": "pdf"}, "format"),
        ({"year": "2026", "quarter": "9", "format": "xlsx"}, "quarter"),
    ],
)
def test_bad_period_is_a_400_with_a_message(world, params, field):
    response = client_of(world.bureau).get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith(field)


def test_period_of_refuses_with_chinese_messages():
    with pytest.raises(selectors.PeriodInvalid, match="年度"):
        period_of("abc")
    with pytest.raises(selectors.PeriodInvalid, match="季度"):
        period_of(2026, 7)
    assert period_of("2026", "4").end == dt.datetime(2027, 1, 1, tzinfo=selectors.CHINA)


# ---------------------------------------------------------------- the workbook


def workbook_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response.streaming
    content = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_xlsx_sums_equal_the_json_totals(world):
    body = report_json(world.bureau, year=2026, quarter=1)
    response = client_of(world.bureau).get(URL, {"year": 2026, "quarter": 1, "format": "xlsx"})
    assert "attachment" in response["Content-Disposition"]
    rows = workbook_rows(response)
    header, districts, totals = rows[0], rows[1:-1], rows[-1]
    assert header[:4] == ("区县", "培训人数", "结业人次", "计入学时（小时）")
    assert [row[0] for row in districts] == list(District.values) and totals[0] == "合计"
    for column, name in enumerate(FIELDS, start=1):
        column_sum = sum(Decimal(str(row[column])) for row in districts)
        assert column_sum == Decimal(str(totals[column])) == Decimal(str(body["totals"][name])), name
    assert totals[7] == 18 and totals[8] == pytest.approx(0.1667)
    zd = districts[0]
    assert zd[1:] == (1, 1, 1.5, 1, 1, 1500, 10, 0.1)


def test_xlsx_cells_are_neutralised():
    period = period_of(2026, 1)
    row = ReportRow(district='=HYPERLINK("http://evil.example","x")', trainees=1)
    report = Report(period=period, rows=[row], totals=ReportRow(district="", trainees=1))
    content = b"".join(training_report_xlsx(report))
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["A2"].value == '\'=HYPERLINK("http://evil.example","x")'
    assert sheet["A2"].data_type == "s"


# ---------------------------------------------------------------- audit and cost


def test_views_and_exports_are_audited(world):
    official = official_of(ZD)
    report_json(official, year=2026, quarter=2)
    client_of(official).get(URL, {"year": 2026, "format": "xlsx"})
    view, export = AuditEntry.objects.filter(subject="reports.training").order_by("pk")
    assert view.action == AuditAction.VIEW and export.action == AuditAction.EXPORT
    assert view.actor == official and view.role == "district_official"
    assert view.detail == {"year": 2026, "quarter": 2, "districts": [ZD], "format": "json"}
    assert export.detail["quarter"] is None and export.detail["format"] == "xlsx"


def test_report_queries_do_not_grow_with_learners(world):
    period, districts = period_of(2026, 1), list(District.values)
    with CaptureQueriesContext(connection) as before:
        selectors.training_report(period, districts)
    more_learners(6)
    more_learners(4, ZC)
    with CaptureQueriesContext(connection) as after:
        report = selectors.training_report(period, districts)
    assert len(before) == len(after) == 6
    assert report.totals.completions == 3 + 10
    for by in selectors.CUTS:
        with CaptureQueriesContext(connection) as cut_queries:
            selectors.report_cut(period, districts, by)
        assert len(cut_queries) <= 6, by
