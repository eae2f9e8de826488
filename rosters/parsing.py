"""Reading a roster file (.xlsx, or CSV in UTF-8 with or without BOM, GBK/GB18030 or UTF-16)
into rows, and checking each row as registration would.

Nothing here touches the database. A file that cannot be read raises ``RosterFileError`` with a
message naming what is wrong and the HTTP status to answer (400, or 413 for the size limits).
``read_table`` (the sheet's rows, before any header is looked for) is also how other uploaded
tables are read (``subsidies.insurance``).
"""

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from learners.models import Learner
from vocabulary.identity import normalize_id_number, validate_id_number
from vocabulary.people import District, TargetGroup, phone_validator

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_ROWS = 2000
# An .xlsx is a zip: refuse one whose parts unpack to more than this (a "zip bomb").
DEFAULT_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 30
HEADER_SEARCH_ROWS = 10
MAX_BLANK_RUN = 1000

# Canonical column → the header texts accepted for it.
COLUMNS = {
    "name": ("姓名", "真实姓名", "学员姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证"),
    "phone": ("手机号", "手机号码", "手机", "联系电话"),
    "district": ("区县", "所在区县", "户籍区县"),
    "target_group": ("人员类别", "培训对象类别", "类别"),
    "employer": ("工作单位", "单位"),
}
REQUIRED_COLUMNS = ("name", "id_number", "phone", "district", "target_group")
HEADER_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "手机号",
    "district": "区县",
    "target_group": "人员类别",
    "employer": "工作单位",
}


class RosterFileError(Exception):
    """The file cannot be used as a roster; ``message`` says why, ``status`` is 400 or 413."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def limits() -> tuple[int, int, int]:
    """(max bytes, max rows, max unpacked bytes), from settings ROSTER_MAX_* or the defaults."""
    return (
        int(getattr(settings, "ROSTER_MAX_BYTES", DEFAULT_MAX_BYTES)),
        int(getattr(settings, "ROSTER_MAX_ROWS", DEFAULT_MAX_ROWS)),
        int(getattr(settings, "ROSTER_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED_BYTES)),
    )


@dataclass
class RawRow:
    number: int  # the row's number in the sheet (1 = first line), for messages
    cells: dict  # canonical column → cell value as read


# ---------------------------------------------------------------- reading the file


def read_roster(content: bytes) -> list[RawRow]:
    """The data rows of a roster file (empty rows skipped), by its content, not its name."""
    max_bytes, max_rows, max_unpacked = limits()
    return _rows_under_header(read_table(content, max_bytes, max_rows, max_unpacked), max_rows)


def read_table(
    content: bytes, max_bytes: int, max_rows: int, max_unpacked: int, *, unpacked_message: str = ""
) -> list[list]:
    """The rows of an uploaded table (.xlsx, or CSV in UTF-8 with or without BOM, GBK/GB18030 or
    UTF-16), by its content, not its name: each a list of at most ``MAX_COLUMNS`` cell values, an
    empty list for a blank row. Reading stops once ``HEADER_SEARCH_ROWS + max_rows + 1`` rows
    hold something (or, in a workbook, after ``MAX_BLANK_RUN`` blank rows in a row), so that the
    caller can tell "too many rows" without reading them all. ``RosterFileError`` (400, or 413
    above ``max_bytes`` or ``max_unpacked``) for a file that cannot be read; ``unpacked_message``
    replaces the message of a workbook that unpacks to more than ``max_unpacked``."""
    if len(content) > max_bytes:
        raise RosterFileError(_("文件过大（上限 %(kb)d KB）。") % {"kb": max_bytes // 1024}, 413)
    if not content.strip():
        raise RosterFileError(_("文件是空的。"))
    if content.startswith(b"PK\x03\x04"):
        return _xlsx_rows(content, max_rows, max_unpacked, unpacked_message)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV。"))
    return _csv_rows(content, max_rows)


def _xlsx_rows(content: bytes, max_rows: int, max_unpacked: int, unpacked_message: str):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise RosterFileError(_("文件已损坏，无法作为 .xlsx 打开。")) from None
    if unpacked > max_unpacked:
        raise RosterFileError(unpacked_message or _("文件解压后过大，请只保留花名册工作表。"), 413)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on malformed parts; all mean "not a workbook"
        raise RosterFileError(_("无法读取该 Excel 文件，请确认是 .xlsx 格式。")) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise RosterFileError(_("Excel 文件中没有工作表。"))
        rows, filled, blanks = [], 0, 0
        # Header search rows + data rows + one more to detect "too many rows".
        budget = HEADER_SEARCH_ROWS + max_rows + 1
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            if any(value not in (None, "") for value in values):
                rows.append(list(values))
                filled, blanks = filled + 1, 0
            else:
                rows.append([])
                blanks += 1
            # A sheet may claim a million (formatted but empty) rows: stop at a long blank run.
            if filled > budget or blanks > MAX_BLANK_RUN:
                break
        return rows
    except RosterFileError:
        raise
    except Exception:  # a corrupt sheet part fails only while iterating
        raise RosterFileError(_("Excel 工作表内容已损坏。")) from None
    finally:
        workbook.close()


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        # GB18030 is a superset of GBK, which Chinese Excel uses for "CSV".
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError(_("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx。"))


def _csv_rows(content: bytes, max_rows: int):
    text = _decode(content)
    if "\x00" in text:
        raise RosterFileError(_("文件不是 .xlsx 或 CSV 格式。"))
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    rows, filled = [], 0
    budget = HEADER_SEARCH_ROWS + max_rows + 1
    try:
        for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(v.strip() for v in values):
                rows.append(values[:MAX_COLUMNS])
                filled += 1
            else:
                rows.append([])
            if filled > budget:
                break
    except csv.Error:
        raise RosterFileError(_("CSV 格式错误。")) from None
    return rows


def _header_key(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    text = text.replace("*", "").replace("＊", "").replace(" ", "")
    for key, names in COLUMNS.items():
        if text in names:
            return key
    return ""


def _rows_under_header(table: list[list], max_rows: int) -> list[RawRow]:
    """Find the header among the first rows (a title may be above it) and map the rows below."""
    header_at, mapping = None, {}
    for index, values in enumerate(table[:HEADER_SEARCH_ROWS]):
        keys = {}
        for position, value in enumerate(values):
            key = _header_key(value)
            if key and key not in keys:
                keys[key] = position
        if "name" in keys and "id_number" in keys:
            header_at, mapping = index, keys
            break
    if header_at is None:
        raise RosterFileError(
            _("找不到表头：第一行应为 姓名、身份证号、手机号、区县、人员类别、工作单位（可选）。")
        )
    missing = [HEADER_LABELS[key] for key in REQUIRED_COLUMNS if key not in mapping]
    if missing:
        raise RosterFileError(_("表头缺少列：%(columns)s。") % {"columns": "、".join(missing)})
    rows = []
    for index, values in enumerate(table[header_at + 1 :], start=header_at + 2):
        if not values:
            continue
        cells = {key: (values[pos] if pos < len(values) else None) for key, pos in mapping.items()}
        if all(value in (None, "") or str(value).strip() == "" for value in cells.values()):
            continue
        rows.append(RawRow(number=index, cells=cells))
        if len(rows) > max_rows:
            raise RosterFileError(_("花名册超过 %(n)d 行，请分批导入。") % {"n": max_rows}, 413)
    if not rows:
        raise RosterFileError(_("花名册中没有学员数据。"))
    return rows


# ---------------------------------------------------------------- checking the rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _target_groups() -> dict[str, str]:
    """Accepted spellings of a target group → its slug: the Chinese labels and the slugs."""
    with translation.override("zh-hans"):
        choices = {str(label): value for value, label in TargetGroup.choices}
    choices.update({value: value for value in TargetGroup.values})
    return choices


def _district(value: str) -> str:
    value = value.replace(" ", "")
    if value.startswith("淄博市"):
        value = value[3:]
    return value if value in District.values else ""


def _id_number_errors(raw, number: str) -> list[str]:
    if isinstance(raw, int | float) and len(str(int(raw))) >= 16:
        return [_("身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为“文本”后重新填写。")]
    if not number:
        return [_("缺少身份证号。")]
    try:
        validate_id_number(number)
    except ValidationError as error:
        code = error.error_list[0].code
        if code == "length":
            return [_("身份证号应为18位，此号码为%(n)d位。") % {"n": len(number)}]
        if code == "check_digit":
            return [_("身份证号校验位错误，请核对。")]
        if code == "birth_date":
            return [_("身份证号中的出生日期无效。")]
        return [_("身份证号应为17位数字加1位数字或X。")]
    return []


def check_row(raw: RawRow, groups: dict[str, str]) -> dict:
    """One row, normalised, with the reasons it cannot be imported (``errors``, empty if none)."""
    cells = raw.cells
    name = _text(cells.get("name"))
    id_raw = cells.get("id_number")
    id_number = normalize_id_number(_text(id_raw).replace(" ", ""))
    phone = _text(cells.get("phone")).replace(" ", "").replace("-", "")
    district_text = _text(cells.get("district"))
    group_text = _text(cells.get("target_group"))
    employer = _text(cells.get("employer"))
    errors = []
    name_limit = Learner._meta.get_field("real_name").max_length
    if not name:
        errors.append(_("缺少姓名。"))
    elif len(name) > name_limit:
        errors.append(_("姓名过长（最多%(n)d字）。") % {"n": name_limit})
    errors += _id_number_errors(id_raw, id_number)
    try:
        phone_validator(phone)
    except ValidationError:
        errors.append(_("手机号应为11位大陆手机号码。"))
    district = _district(district_text)
    if not district:
        errors.append(_("区县“%(district)s”不在淄博市11个区县中。") % {"district": district_text})
    target_group = groups.get(group_text.replace(" ", ""), "")
    if not target_group:
        errors.append(_("人员类别“%(group)s”无法识别。") % {"group": group_text})
    employer_limit = Learner._meta.get_field("employer").max_length
    if len(employer) > employer_limit:
        errors.append(_("工作单位过长（最多%(n)d字）。") % {"n": employer_limit})
    return {
        "row": raw.number,
        "name": name,
        "id_number": id_number,
        "phone": phone,
        "district": district,
        "target_group": target_group,
        "employer": employer,
        "errors": errors,
    }


def check_rows(raw_rows: list[RawRow]) -> list[dict]:
    """Every row checked, and a person appearing twice in the file refused on the second row."""
    groups = _target_groups()
    rows = [check_row(raw, groups) for raw in raw_rows]
    first_seen: dict[str, int] = {}
    for row in rows:
        number = row["id_number"]
        if len(number) != 18:
            continue
        if number in first_seen:
            row["errors"].append(_("与第%(row)d行是同一人（身份证号重复）。") % {"row": first_seen[number]})
        else:
            first_seen[number] = row["row"]
    return rows
