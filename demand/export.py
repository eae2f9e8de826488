"""The readers' export: the demands in their scope as an .xlsx workbook, streamed (a write-only
workbook, rows read in chunks). Every cell goes through ``common.spreadsheets.neutralise_row``:
a note typed as ``=HYPERLINK(...)`` stays text. No person is named: a worker's demand shows
their district and target group, an enterprise's line its enterprise."""

from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from common.spreadsheets import chinese_labels, neutralise_row, sheet_with_header, workbook_chunks
from demand.models import DemandStatus
from vocabulary.people import District, TargetGroup

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    ("编号", 8),
    ("职业代码", 12),
    ("职业（工种）", 20),
    ("区县", 10),
    ("人员类别", 18),
    ("企业", 24),
    ("人数", 8),
    ("说明", 40),
    ("状态", 14),
    ("提交时间", 18),
)


def demands_xlsx(rows: Iterable[dict]) -> Iterator[bytes]:
    """The workbook's bytes, in chunks, for a ``StreamingHttpResponse``."""
    groups, districts = chinese_labels(TargetGroup.choices), chinese_labels(District.choices)
    statuses = chinese_labels(DemandStatus.choices)
    workbook = Workbook(write_only=True)
    sheet = sheet_with_header(workbook, _("培训需求"), COLUMNS)
    for row in rows:
        sheet.append(
            neutralise_row(
                [
                    row["pk"],
                    row["occupation__code"],
                    row["occupation__name"],
                    districts.get(row["district"], row["district"]),
                    groups.get(row["target_group"], row["target_group"]),
                    row["enterprise__name"] or "",
                    row["head_count"],
                    row["note"],
                    statuses.get(row["status"], row["status"]),
                    timezone.localtime(row["submitted_at"]).strftime("%Y-%m-%d %H:%M"),
                ]
            )
        )
    yield from workbook_chunks(workbook)
