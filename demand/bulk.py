"""An enterprise's bulk demand as HR types it (one line per occupation: code, head count, note)
or uploads it (the .xlsx template of ``bulk_template_xlsx``, or a CSV with the same columns),
read into rows and checked line by line. The file is read as a roster file is
(``rosters.parsing.read_table``: size limits, encodings, old .xls refused).

Nothing here writes: ``check_lines`` answers the rows or, for every wrong line, a message naming
it, and ``demand.services.enterprise_demands_submit`` writes all the rows or none.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from common.spreadsheets import workbook_bytes
from common.text import ascii_int
from courses.models import Occupation
from demand.models import HEAD_COUNT_MAX, NOTE_MAX_LENGTH
from demand.selectors import CODE_PATTERN, normalise, occupations_by_codes
from rosters.parsing import HEADER_SEARCH_ROWS, RosterFileError, read_table

MAX_LINES = 500
MAX_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_ERRORS = 50

# Canonical column → header texts accepted for it (the template writes the first of each).
COLUMNS = {
    "code": ("职业代码", "职业编码", "工种代码", "代码"),
    "name": ("职业名称", "职业（工种）", "工种", "职业"),
    "head_count": ("人数", "需求人数", "培训人数"),
    "note": ("备注", "说明", "培训需求说明"),
}
TEXT_SEPARATORS = re.compile(r"[\t,，;；]")


class BulkFileError(Exception):
    """The file cannot be read; ``message`` says why, ``status`` is 400 or 413."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Line:
    """A line as given: its number (the sheet's row, or the textarea's line) and its cells."""

    number: int
    code: object
    head_count: object
    note: object = ""


@dataclass(frozen=True)
class Row:
    """A checked line, ready to be written."""

    number: int
    occupation: Occupation
    head_count: int
    note: str


# ---------------------------------------------------------------- reading


def lines_from_text(text: str) -> list[Line]:
    """Lines typed in the form, one per occupation: ``code, head count, note`` separated by a
    tab, a comma or a semicolon (full-width ones too; the note may hold more of them). A first
    line that is a header (职业代码…) is skipped, as are blank lines."""
    lines = []
    for number, raw in enumerate(str(text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [part.strip() for part in TEXT_SEPARATORS.split(raw, maxsplit=2)]
        if not lines and _header_key(parts[0]) == "code":
            continue
        parts += ["", ""]
        lines.append(Line(number=number, code=parts[0], head_count=parts[1], note=parts[2]))
    return lines


def _header_key(value) -> str:
    text = normalise(value).replace("*", "").replace(" ", "")
    return next((key for key, names in COLUMNS.items() if text in names), "")


def lines_from_file(content: bytes) -> list[Line]:
    """The data rows of an uploaded .xlsx (its first sheet) or CSV under a header row that names
    at least 职业代码 and 人数."""
    try:
        table = read_table(
            content,
            MAX_BYTES,
            MAX_LINES,
            MAX_UNPACKED_BYTES,
            unpacked_message=_("文件解压后过大，请只保留培训需求工作表。"),
        )
    except RosterFileError as error:
        raise BulkFileError(error.message, error.status) from None
    header_at, mapping = None, {}
    for index, values in enumerate(table[:HEADER_SEARCH_ROWS]):
        keys = {}
        for position, value in enumerate(values):
            key = _header_key(value)
            if key and key not in keys:
                keys[key] = position
        if "code" in keys and "head_count" in keys:
            header_at, mapping = index, keys
            break
    if header_at is None:
        raise BulkFileError(_("找不到表头：第一行应为 职业代码、职业名称（可不填）、人数、备注。"))
    lines = []
    for number, values in enumerate(table[header_at + 1 :], start=header_at + 2):

        def cell(key, values=values):
            position = mapping.get(key)
            return values[position] if position is not None and position < len(values) else None

        if not any(normalise(cell(key)) for key in ("code", "head_count", "note")):
            continue
        lines.append(Line(number=number, code=cell("code"), head_count=cell("head_count"), note=cell("note")))
    return lines


# ---------------------------------------------------------------- checking


def _count(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return value
    text = normalise(value).removesuffix("人")
    return ascii_int(text) if len(text) <= 6 else None


def check_lines(lines: list[Line]) -> tuple[list[Row], list[str]]:
    """The checked rows, and a message for every wrong line (at most ``MAX_ERRORS``, then a
    count of the rest). The occupations are read in one query."""
    if not lines:
        return [], [_("没有填写需求：每行一个职业，写职业代码和人数。")]
    if len(lines) > MAX_LINES:
        return [], [_("一次最多提交 %(n)d 行，请分批提交。") % {"n": MAX_LINES}]
    occupations = occupations_by_codes(line.code for line in lines)
    rows, errors, seen = [], [], {}
    for line in lines:
        problems = []
        code = normalise(line.code)
        occupation = occupations.get(code)
        if not code:
            problems.append(_("缺少职业代码"))
        elif not CODE_PATTERN.match(code):
            problems.append(_("职业代码“%(code)s”格式不对，应如 4-10-01-05") % {"code": code[:20]})
        elif occupation is None:
            problems.append(_("没有职业代码为“%(code)s”的职业") % {"code": code})
        elif code in seen:
            problems.append(
                _("职业“%(code)s”与第 %(line)d 行重复，请合并人数") % {"code": code, "line": seen[code]}
            )
        count = _count(line.head_count)
        if count is None:
            problems.append(_("人数应为正整数"))
        elif not 1 <= count <= HEAD_COUNT_MAX:
            problems.append(_("人数应在 1 至 %(max)d 之间") % {"max": HEAD_COUNT_MAX})
        note = "" if line.note is None else str(line.note).strip()  # as written: no NFKC
        if len(note) > NOTE_MAX_LENGTH:
            problems.append(_("备注不能超过 %(n)d 字") % {"n": NOTE_MAX_LENGTH})
        if "\x00" in note:
            problems.append(_("备注含有无效字符"))
        if problems:
            errors.append(
                _("第 %(line)d 行：%(problems)s。")
                % {"line": line.number, "problems": pgettext("clause separator", "；").join(problems)}
            )
            continue
        seen[code] = line.number
        rows.append(Row(number=line.number, occupation=occupation, head_count=count, note=note))
    if len(errors) > MAX_ERRORS:
        rest = len(errors) - MAX_ERRORS
        errors = [*errors[:MAX_ERRORS], _("……另有 %(n)d 行有错误。") % {"n": rest}]
    return rows, errors


# ---------------------------------------------------------------- the template


def bulk_template_xlsx() -> bytes:
    """The template HR downloads: the sheet to fill (header only), how to fill it, and the
    classification's codes to look them up in. Every cell leaves through
    ``common.spreadsheets.workbook_bytes`` (neutralised)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("培训需求")
    sheet.append([COLUMNS["code"][0], COLUMNS["name"][0], COLUMNS["head_count"][0], COLUMNS["note"][0]])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCD", (14, 24, 8, 48), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet(_("填写说明"))
    for text in (
        _(
            "每行填写一个职业（工种）：职业代码和需要培训的人数必填，职业名称可不填，备注可写培训时间、地点等要求。"
        ),
        _("职业代码按国家职业分类大典（2022年版）填写，见“职业代码”工作表，例如 4-10-01-05（养老护理员）。"),
        _("同一职业请合并为一行。每次最多 %(n)d 行。有任何一行不正确时，整份不提交，页面会列出每个错误行。")
        % {"n": MAX_LINES},
        _("示例：4-10-01-05 ｜ 养老护理员 ｜ 12 ｜ 希望周末上课"),
    ):
        help_sheet.append([text])
    help_sheet.column_dimensions["A"].width = 100
    codes = workbook.create_sheet(_("职业代码"))
    codes.append([COLUMNS["code"][0], COLUMNS["name"][0], _("大类")])
    for row in Occupation.objects.order_by("code").values_list("code", "name", "major_group"):
        codes.append(list(row))
    codes.column_dimensions["A"].width = 14
    codes.column_dimensions["B"].width = 30
    codes.column_dimensions["C"].width = 40
    return workbook_bytes(workbook)
