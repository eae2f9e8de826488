"""The payment export: approved claims as an .xlsx workbook, streamed.

openpyxl's write-only workbook writes each row to a temporary file as it is appended, and the
rows are read from the database in chunks (``selectors.approved_claims_rows``), so memory stays
flat however many claims there are; the finished file is then sent in chunks. Every cell goes
through ``common.spreadsheets.neutralise_row`` (a name starting with ``=`` stays text). ID numbers
are masked, as in every listing: the claim number is the key for reconciliation.
"""

from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from common.spreadsheets import chinese_labels, neutralise_row, sheet_with_header, workbook_chunks
from vocabulary.identity import mask_id_number
from vocabulary.people import District, TargetGroup
from vocabulary.training import Level

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_BYTES = 64 * 1024

COLUMNS = (
    ("申领编号", 10),
    ("姓名", 12),
    ("身份证号（脱敏）", 22),
    ("区县", 10),
    ("人员类别", 18),
    ("课程", 30),
    ("职业编码", 12),
    ("职业（工种）", 18),
    ("等级", 14),
    ("完成日期", 12),
    ("证书编号", 20),
    ("补贴金额（元）", 14),
    ("申领时间", 18),
    ("区县审核时间", 18),
    ("市人社局审批时间", 18),
)


def _when(value, fmt="%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


def approved_claims_xlsx(rows: Iterable[dict]) -> Iterator[bytes]:
    """The workbook's bytes, in chunks, for a ``StreamingHttpResponse``."""
    levels, groups = chinese_labels(Level.choices), chinese_labels(TargetGroup.choices)
    districts = chinese_labels(District.choices)
    workbook = Workbook(write_only=True)
    sheet = sheet_with_header(workbook, _("待发放补贴"), COLUMNS)
    total, count = Decimal("0"), 0
    for row in rows:
        count += 1
        total += row["amount"]
        sheet.append(
            neutralise_row(
                [
                    row["pk"],
                    row["learner__real_name"],
                    mask_id_number(row["learner__id_number"] or ""),
                    districts.get(row["learner__district"], row["learner__district"]),
                    groups.get(row["learner__target_group"], row["learner__target_group"]),
                    row["archive_entry__course_title"],
                    row["occupation_code"],
                    row["archive_entry__occupation_name"],
                    levels.get(row["level"], row["level"]),
                    _when(row["archive_entry__completed_at"], "%Y-%m-%d"),
                    row["archive_entry__certificate__number"] or "",
                    row["amount"],
                    _when(row["submitted_at"]),
                    _when(row["district_decided_at"]),
                    _when(row["bureau_decided_at"]),
                ]
            )
        )
    sheet.append([])
    sheet.append(neutralise_row([_("合计"), _("%(n)s 人") % {"n": count}, *[""] * 9, total]))
    yield from workbook_chunks(workbook, CHUNK_BYTES)
