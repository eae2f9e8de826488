"""The training report as an .xlsx workbook (the contract's ``&format=xlsx``), streamed.

One sheet: a header row of Chinese column titles, one row per district in the report's order,
then the totals row (合计), whose figures are the column sums of the district rows (the JSON's
``totals``). Every cell goes through ``common.spreadsheets.neutralise_row``; the write-only
workbook is written to a temporary file and sent in chunks (``workbook_chunks``), so memory
stays flat. The import templates of the task table and the employment base live here too.
"""

from collections.abc import Iterator

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from common.spreadsheets import (
    chinese_labels,
    neutralise,
    neutralise_row,
    sheet_with_header,
    workbook_bytes,
    workbook_chunks,
)
from vocabulary.people import District, TargetGroup

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_BYTES = 64 * 1024

# (title, width): the contract's fields in its order, with Chinese titles.
REPORT_COLUMNS = (
    ("区县", 12),
    ("培训人数", 10),
    ("结业人次", 10),
    ("计入学时（小时）", 16),
    ("取证数", 10),
    ("补贴申领（笔）", 14),
    ("补贴金额（元）", 16),
    ("目标任务（人次）", 16),
    ("任务完成率", 12),
)


def _columns():
    return [(_(title), width) for title, width in REPORT_COLUMNS]


def _ratio_cell(sheet, ratio):
    if ratio is None:
        return ""
    cell = WriteOnlyCell(sheet, value=ratio)
    cell.number_format = "0.00%"
    return cell


def _values(row, label: str) -> list:
    return [
        label,
        row.trainees,
        row.completions,
        row.credited_hours,
        row.certificates,
        row.subsidy_claims,
        row.subsidy_amount,
        row.task if row.task is not None else "",
    ]


def training_report_xlsx(report) -> Iterator[bytes]:
    """The workbook's bytes in chunks, for a ``StreamingHttpResponse``: ``report`` is a
    ``reports.selectors.Report``."""
    districts = chinese_labels(District.choices)
    workbook = Workbook(write_only=True)
    sheet = sheet_with_header(workbook, report.period.label[:31], _columns())
    for row in report.rows:
        values = neutralise_row(_values(row, districts.get(row.district, row.district)))
        sheet.append([*values, _ratio_cell(sheet, row.task_ratio)])
    totals = []
    for value in neutralise_row(_values(report.totals, _("合计"))):
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        totals.append(cell)
    sheet.append([*totals, _ratio_cell(sheet, report.totals.task_ratio)])
    yield from workbook_chunks(workbook, CHUNK_BYTES)


def report_filename(period, districts: list[str]) -> str:
    """``培训统计报表-2026-Q1.xlsx``, with the district's name when the report is of one."""
    name = _("培训统计报表")
    if len(districts) == 1:
        name = f"{name}-{districts[0]}"
    return f"{name}-{period.slug}.xlsx"


# ---------------------------------------------------------------- import templates

TASK_COLUMNS = (("年度", 8), ("区县", 12), ("培训对象", 22), ("目标任务（人次）", 16), ("依据", 30))
BASE_COLUMNS = (
    ("年度", 8),
    ("区县", 12),
    ("就业人员", 12),
    ("技能劳动者", 12),
    ("高技能人才", 12),
    ("来源", 30),
)


def _template(title: str, columns, example_rows, notes) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    # The header row stays in Chinese whatever the reader's language: it is what the import reads
    # (reports.services), and the statistics bureau's own tables use these names.
    sheet.append([name for name, _width in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, (_name, width) in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    for row in example_rows:
        sheet.append(row)
    help_sheet = workbook.create_sheet(_("填写说明"))
    help_sheet.column_dimensions["A"].width = 90
    notes = [*notes, _("表头（第一行）请保持中文原样，导入时按表头识别各列。")]
    for note in notes:
        help_sheet.append([neutralise(note)])
    return workbook_bytes(workbook)


def training_tasks_template(year: int) -> bytes:
    """The task table to fill in: one line per district for every target group (培训对象 left
    empty), and optional lines per target group."""
    groups = chinese_labels(TargetGroup.choices)
    rows = [[year, district, "", "", ""] for district in District.values]
    notes = [
        _("每行一个区县一年的目标任务（补贴性培训人次）。"),
        _("“培训对象”留空表示全部培训对象；也可另加一行填写某一类培训对象的任务。"),
        _("培训对象可填：%(groups)s。") % {"groups": "、".join(groups.values())},
        _("区县须为淄博市的 11 个区县之一；年度为 2019 至 2100；目标任务为不小于 0 的整数。"),
        _("导入时整张表有任一行错误则不导入任何一行；同一年度、区县和培训对象已有的任务会被更新。"),
    ]
    return _template(_("年度目标任务"), TASK_COLUMNS, rows, notes)


def employment_base_template(year: int) -> bytes:
    """The employment base to fill in from the statistics bureau's table: one line per district."""
    rows = [[year, district, "", "", "", ""] for district in District.values]
    notes = [
        _("每行一个区县一年的就业人员、技能劳动者和高技能人才人数（统计部门口径）。"),
        _("技能劳动者不能多于就业人员，高技能人才不能多于技能劳动者。"),
        _("导入时整张表有任一行错误则不导入任何一行；同一年度和区县已有的数字会被更新。"),
    ]
    return _template(_("就业基数"), BASE_COLUMNS, rows, notes)
