"""Excel files: the dashboard export and the roster template. ID numbers and phones in the
export are masked, as in every listing."""

from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from common.spreadsheets import workbook_bytes
from rosters.parsing import HEADER_LABELS
from vocabulary.people import District, TargetGroup

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

DASHBOARD_COLUMNS = (
    ("姓名", 12),
    ("身份证号（脱敏）", 22),
    ("手机号（脱敏）", 15),
    ("已获学时（小时）", 14),
    ("要求学时（小时）", 14),
    ("已完成课时", 11),
    ("课时总数", 10),
    ("完成率", 9),
    ("是否完成", 9),
    ("最近学习", 18),
    ("是否落后", 9),
)


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def dashboard_xlsx(dashboard: dict) -> bytes:
    """The class dashboard as a workbook: class details on top, then a frozen Chinese header."""
    training_class = dashboard["training_class"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "学习情况"
    sheet.append([f"班级：{training_class.name}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([f"培训机构：{training_class.institution.name}"])
    sheet.append([f"课程：{training_class.course.title}"])
    sheet.append(
        [f"开班日期：{training_class.starts_on:%Y-%m-%d}  结业日期：{training_class.ends_on:%Y-%m-%d}"]
    )
    sheet.append([f"导出时间：{_local(dashboard['now'])}（身份证号、手机号已脱敏）"])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append([title for title, _ in DASHBOARD_COLUMNS])
    for index, (_, width) in enumerate(DASHBOARD_COLUMNS, start=1):
        cell = sheet.cell(row=header_row, column=index)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in dashboard["members"]:
        sheet.append(
            [
                row["name"],
                row["id_number"],
                row["phone"],
                round(row["credited_seconds"] / 3600, 2),
                round(row["required_seconds"] / 3600, 2),
                row["completed_lessons"],
                row["total_lessons"],
                row["completion"],
                "是" if row["completed"] else "否",
                _local(row["last_activity"]),
                "是" if row["behind"] else "否",
            ]
        )
        sheet.cell(row=sheet.max_row, column=8).number_format = "0%"
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    return workbook_bytes(workbook)


def roster_xlsx(rows: list[list] = ()) -> bytes:
    """A roster workbook: the header, the given rows, drop-down lists for 区县 and 人员类别, the
    ID and phone columns formatted as text (so Excel keeps all 18 digits), and a sheet of notes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    columns = ("name", "id_number", "phone", "district", "target_group", "employer")
    widths = (12, 22, 15, 12, 20, 30)
    sheet.append([HEADER_LABELS[key] for key in columns])
    for index, width in enumerate(widths, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = width
    for values in rows:
        sheet.append(list(values))
    last = max(sheet.max_row, 500)
    for column in ("B", "C"):
        for row in range(2, last + 1):
            sheet[f"{column}{row}"].number_format = "@"
    lists = workbook.create_sheet("可选值")
    lists.append(["区县", "人员类别"])
    with translation.override("zh-hans"):
        groups = [str(label) for _, label in TargetGroup.choices]
    for index in range(max(len(District.values), len(groups))):
        lists.append(
            [
                District.values[index] if index < len(District.values) else None,
                groups[index] if index < len(groups) else None,
            ]
        )
    lists.column_dimensions["A"].width = 14
    lists.column_dimensions["B"].width = 22
    for column, source, count in (("D", "A", len(District.values)), ("E", "B", len(groups))):
        validation = DataValidation(
            type="list", formula1=f"='可选值'!${source}$2:${source}${count + 1}", allow_blank=False
        )
        validation.error = "请从下拉列表中选择。"
        sheet.add_data_validation(validation)
        validation.add(f"{column}2:{column}{last}")
    notes = workbook.create_sheet("填写说明")
    for line in (
        "1. 每行一名学员；姓名、身份证号、手机号、区县、人员类别必填，工作单位可不填。",
        "2. 身份证号为18位（末位可为X），请保持“文本”格式，否则 Excel 会丢失末几位。",
        "3. 区县须为淄博市11个区县之一；人员类别请从下拉列表选择。",
        "4. 同一人不可重复填写；已注册的学员直接加入班级，未注册的将自动开通账号。",
        "5. 新开通的账号没有密码，学员请用“忘记密码”设置密码后登录。",
        "6. 文件不超过2 MB、2000行；也可另存为 CSV（UTF-8 或 GBK 编码）上传。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    sheet.freeze_panes = "A2"
    return workbook_bytes(workbook)
