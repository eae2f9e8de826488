"""Reading the social-insurance roster (联网核查) exported by the social-insurance system: a CSV
(UTF-8 with or without BOM, GBK/GB18030 or UTF-16) or an .xlsx whose header row names the ID
number, the employer and the date insured since; the file is read as a roster file is
(``rosters.parsing.read_table``: size limits, encodings, old .xls refused). Nothing here touches
the database.

Each row is checked: a valid 18-character ID number (not one Excel turned into a number), an
employer, a date. A file with any wrong row is refused as a whole, naming the rows (at most
``MAX_ERRORS`` of them). A person listed twice keeps the row insured since the latest date
(their current employer). Only the keyed hash of each ID number leaves this module.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from learners.crypto import blind_index
from rosters.parsing import HEADER_SEARCH_ROWS, RosterFileError, read_table
from vocabulary.identity import normalize_id_number, validate_id_number

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ERRORS = 20
EMPLOYER_MAX_LENGTH = 200

COLUMNS = {
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "社会保障号码", "身份证"),
    "employer": ("参保单位", "单位名称", "工作单位", "参保单位名称", "单位"),
    "insured_since": ("参保日期", "参保起始日期", "参保开始日期", "首次参保日期", "参保时间"),
}
LABELS = {"id_number": "身份证号", "employer": "参保单位", "insured_since": "参保日期"}


class InsuranceFileError(Exception):
    """The file cannot be imported; ``message`` says why, ``status`` is 400 or 413."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class InsuranceRow:
    id_number_hash: str
    employer: str
    insured_since: dt.date


def limits() -> tuple[int, int]:
    """(max bytes, max rows): settings SUBSIDY_INSURANCE_MAX_BYTES / _MAX_ROWS or the defaults."""
    return (
        int(getattr(settings, "SUBSIDY_INSURANCE_MAX_BYTES", DEFAULT_MAX_BYTES)),
        int(getattr(settings, "SUBSIDY_INSURANCE_MAX_ROWS", DEFAULT_MAX_ROWS)),
    )


def read_insurance_roster(content: bytes) -> list[InsuranceRow]:
    max_bytes, max_rows = limits()
    try:
        table = read_table(
            content,
            max_bytes,
            max_rows,
            MAX_UNPACKED_BYTES,
            unpacked_message=_("文件解压后过大，请只保留参保名单工作表。"),
        )
    except RosterFileError as error:
        raise InsuranceFileError(error.message, error.status) from None
    return _checked_rows(table, max_rows)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _header_key(value) -> str:
    text = _text(value).replace("*", "").replace(" ", "")
    return next((key for key, names in COLUMNS.items() if text in names), "")


DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"),  # a month: insured since its first day
    re.compile(r"^(\d{4})(\d{2})$"),
)


def parse_date(value) -> dt.date | None:
    """A date as the social-insurance system writes it (2020-01-15, 2020/1/15, 2020年1月15日,
    20200115, or a month: 2020-01, 202001), or a date cell; None if it is none of them."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value).split(" ")[0]
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            parts = [int(part) for part in match.groups()] + [1]
            try:
                return dt.date(parts[0], parts[1], parts[2])
            except ValueError:
                return None
    return None


def _checked_rows(table: list[list], max_rows: int) -> list[InsuranceRow]:
    header_at, mapping = None, {}
    for index, values in enumerate(table[:HEADER_SEARCH_ROWS]):
        keys = {}
        for position, value in enumerate(values):
            key = _header_key(value)
            if key and key not in keys:
                keys[key] = position
        if len(keys) == len(COLUMNS):
            header_at, mapping = index, keys
            break
    if header_at is None:
        raise InsuranceFileError(
            _(
                "找不到表头：应有“身份证号”“参保单位”“参保日期”三列（列名可为“公民身份号码”“单位名称”“参保起始日期”等）。"
            )
        )
    today = timezone.localdate()
    found: dict[str, InsuranceRow] = {}
    errors: list[str] = []
    count = 0
    for number, values in enumerate(table[header_at + 1 :], start=header_at + 2):
        if not values:
            continue
        cells = {key: (values[pos] if pos < len(values) else None) for key, pos in mapping.items()}
        if all(_text(value) == "" for value in cells.values()):
            continue
        count += 1
        if count > max_rows:
            raise InsuranceFileError(_("名单超过 %(n)s 行，请分批导入。") % {"n": max_rows}, 413)
        problem, row = _checked_row(cells, today)
        if problem:
            if len(errors) < MAX_ERRORS:
                errors.append(_("第 %(row)s 行：%(problem)s") % {"row": number, "problem": problem})
            continue
        kept = found.get(row.id_number_hash)
        if kept is None or row.insured_since >= kept.insured_since:
            found[row.id_number_hash] = row
    if errors:
        raise InsuranceFileError(_("名单有错误，未导入任何一行；请改正后重新上传。") + " " + " ".join(errors))
    if not found:
        raise InsuranceFileError(_("名单中没有数据行。"))
    return list(found.values())


def _checked_row(cells: dict, today: dt.date) -> tuple[str, InsuranceRow | None]:
    raw = cells["id_number"]
    if isinstance(raw, int | float) and len(str(int(raw))) >= 16:
        return _("身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为“文本”。"), None
    number = normalize_id_number(_text(raw).replace(" ", ""))
    try:
        validate_id_number(number)
    except ValidationError:
        return _("身份证号无效。"), None
    employer = _text(cells["employer"])
    if not employer:
        return _("缺少参保单位。"), None
    if len(employer) > EMPLOYER_MAX_LENGTH:
        return _("参保单位过长。"), None
    since = parse_date(cells["insured_since"])
    if since is None or since.year < 1950 or since > today:
        return _("参保日期无效（例如 2020-01-15）。"), None
    return "", InsuranceRow(blind_index(number), employer, since)
