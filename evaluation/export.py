"""The year's scorecards as an .xlsx workbook (the bureau's export). A workbook of one row per
institution is small: it is built in memory and leaves through ``common.spreadsheets.workbook_bytes``,
which neutralises every cell (an institution named ``=HYPERLINK(…)`` stays text)."""

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from common.spreadsheets import workbook_bytes

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rate(value):
    return round(value, 4) if value is not None else ""


def scorecards_xlsx(cards, year: int) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("%(year)s 年度机构评估") % {"year": year}
    header = [
        _("机构名称"),
        _("统一社会信用代码"),
        _("所在区县"),
        _("开班数"),
        _("学员数"),
        _("结业人数"),
        _("结业率"),
        _("取证人数"),
        _("取证率"),
        _("评价数"),
        _("平均评分"),
        _("补贴申领数"),
        _("未通过数"),
        _("未通过率"),
        _("查实违规"),
        _("预警"),
        _("预警原因"),
        _("处理状态"),
    ]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for card in cards:
        institution = card.institution
        sheet.append(
            [
                institution.name,
                institution.credit_code,
                institution.get_district_display(),
                card.classes,
                card.trainees,
                card.completions,
                _rate(card.completion_rate),
                card.certificates,
                _rate(card.certificate_rate),
                card.ratings,
                round(card.average_rating, 2) if card.average_rating is not None else "",
                card.claims_submitted,
                card.claims_rejected,
                _rate(card.rejection_rate),
                card.fraud_findings,
                _("是") if card.flagged else _("否"),
                " ".join(reason.detail for reason in card.reasons),
                card.standing.label,
            ]
        )
    for column, width in zip(
        "ABCDEFGHIJKLMNOPQR", (30, 22, 10, 8, 8, 8, 8, 8, 8, 8, 8, 10, 8, 8, 8, 6, 40, 12), strict=True
    ):
        sheet.column_dimensions[column].width = width
    return workbook_bytes(workbook)
