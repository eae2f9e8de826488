"""Writing the task table and the employment base from the bureau's spreadsheets.

``training_tasks_import`` and ``employment_base_import`` read an .xlsx (or CSV) whose header row
names the columns (the templates in ``reports.export``), check every line and write all of them
or none: a file with any wrong line is refused as a whole (``ImportRefused``), naming each wrong
line (its row number in the sheet) and what is wrong with it — an unknown district or target
group, a year outside 2019–2100, a figure that is negative, not a whole number or too large,
more skilled workers than employed persons (or high-skilled than skilled), the same line twice.
A line already in the table (same year, district and target group; same year and district for
the base) is updated, the others added; imported figures are real ones (``is_demo`` cleared).
The file is read as the rosters are (``rosters.parsing.read_table``: size limits, encodings,
old .xls refused).
"""

import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from common.text import enumeration
from reports.models import FIRST_YEAR, LAST_YEAR, MAX_FIGURE, EmploymentBase, TrainingTask
from rosters.parsing import HEADER_SEARCH_ROWS, RosterFileError, read_table
from vocabulary.people import District, TargetGroup

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_ROWS = 2000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ERRORS = 50
TEXT_MAX_LENGTH = 200

TASK_COLUMNS = {
    "year": ("年度", "年份", "年"),
    "district": ("区县", "区县名称", "地区"),
    "target_group": ("培训对象", "人员类别", "对象"),
    "target": ("目标任务（人次）", "目标任务(人次)", "目标任务", "任务数", "目标", "任务（人次）"),
    "note": ("依据", "备注", "说明"),
}
TASK_REQUIRED = ("year", "district", "target")
BASE_COLUMNS = {
    "year": ("年度", "年份", "年"),
    "district": ("区县", "区县名称", "地区"),
    "employed": ("就业人员", "就业人数", "就业人员数", "从业人员"),
    "skilled": ("技能劳动者", "技能劳动者人数", "技能人才", "技能人才人数"),
    "high_skilled": ("高技能人才", "高技能人才人数", "高技能人才数"),
    "source": ("来源", "数据来源", "依据", "备注"),
}
BASE_REQUIRED = ("year", "district", "employed", "skilled", "high_skilled")


class ImportRefused(Exception):
    """The file was not imported. ``message`` says why in one sentence, ``errors`` lists the
    wrong lines (at most MAX_ERRORS), ``status`` is 400 or 413 (too large)."""

    def __init__(self, message: str, errors: list[str] | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.status = status

    def __str__(self):
        return " ".join([self.message, *self.errors])


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    years: list[int] = field(default_factory=list)


def import_limits() -> tuple[int, int]:
    """(max bytes, max rows): settings REPORTS_IMPORT_MAX_BYTES / _MAX_ROWS or the defaults."""
    return (
        int(getattr(settings, "REPORTS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)),
        int(getattr(settings, "REPORTS_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)),
    )


# ---------------------------------------------------------------- reading cells


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _key(value, columns: dict) -> str:
    text = _text(value).replace("*", "").replace(" ", "")
    return next((key for key, names in columns.items() if text in names), "")


def _whole(value) -> int | None:
    """A whole number from a cell: 12, 12.0, "12", "1,200"; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _text(value).replace(",", "").replace("，", "")
    sign = -1 if text.startswith("-") else 1
    digits = text[1:] if sign < 0 else text
    if digits.endswith(".0"):
        digits = digits[:-2]
    return sign * int(digits) if digits.isascii() and digits.isdigit() else None


def _year(value) -> tuple[int | None, str]:
    text = _text(value)
    year = _whole(text[:-1] if text.endswith("年") else value)
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        return None, _("年度“%(value)s”无效，应为 %(first)s 至 %(last)s 之间的四位数字。") % {
            "value": text,
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    return year, ""


def _district(value) -> tuple[str | None, str]:
    text = _text(value).replace(" ", "")
    if text.startswith("淄博市"):
        text = text[3:]
    if text in District.values:
        return text, ""
    return None, _("区县“%(value)s”不是淄博市的区县，应为 %(choices)s 之一。") % {
        "value": _text(value),
        "choices": enumeration(District.values),
    }


def _target_group(value) -> tuple[str | None, str]:
    text = _text(value)
    if text in ("", "全部", "全部培训对象", "合计"):
        return "", ""
    by_label = {str(label): key for key, label in TargetGroup.choices}
    if text in TargetGroup.values:
        return text, ""
    if text in by_label:
        return by_label[text], ""
    return None, _("培训对象“%(value)s”无效，应为 %(choices)s 之一，或留空表示全部。") % {
        "value": text,
        "choices": enumeration(by_label),
    }


def _figure(value, label: str) -> tuple[int | None, str]:
    text = _text(value)
    if text == "":
        return None, _("缺少%(label)s。") % {"label": label}
    number = _whole(value)
    if number is None:
        return None, _("%(label)s“%(value)s”须为整数。") % {"label": label, "value": text}
    if number < 0:
        return None, _("%(label)s不能为负数。") % {"label": label}
    if number > MAX_FIGURE:
        return None, _("%(label)s %(value)s 过大（上限 %(max)s）。") % {
            "label": label,
            "value": number,
            "max": MAX_FIGURE,
        }
    return number, ""


def _free_text(value, label: str) -> tuple[str, str]:
    text = _text(value)
    if len(text) > TEXT_MAX_LENGTH:
        return "", _("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": TEXT_MAX_LENGTH}
    return text, ""


# ---------------------------------------------------------------- the table


def _table(content: bytes, columns: dict, required: tuple, what: str) -> list[tuple[int, dict]]:
    """The data lines under the header row: (row number in the sheet, {column key: cell})."""
    max_bytes, max_rows = import_limits()
    try:
        table = read_table(
            content,
            max_bytes,
            max_rows,
            MAX_UNPACKED_BYTES,
            unpacked_message=_("文件解压后过大，请只保留%(what)s工作表。") % {"what": what},
        )
    except RosterFileError as error:
        raise ImportRefused(error.message, status=error.status) from None
    header_at, mapping = None, {}
    for index, values in enumerate(table[:HEADER_SEARCH_ROWS]):
        keys = {}
        for position, value in enumerate(values):
            key = _key(value, columns)
            if key and key not in keys:
                keys[key] = position
        if all(key in keys for key in required):
            header_at, mapping = index, keys
            break
    if header_at is None:
        names = enumeration(f"“{columns[key][0]}”" for key in required)
        raise ImportRefused(
            _("找不到表头：第一行应有 %(names)s 这几列（可下载模板填写）。") % {"names": names}
        )
    lines = []
    for number, values in enumerate(table[header_at + 1 :], start=header_at + 2):
        cells = {key: (values[pos] if pos < len(values) else None) for key, pos in mapping.items()}
        if all(_text(value) == "" for value in cells.values()):
            continue
        lines.append((number, cells))
        if len(lines) > max_rows:
            raise ImportRefused(_("表格超过 %(n)s 行，请分批导入。") % {"n": max_rows}, status=413)
    if not lines:
        raise ImportRefused(_("表格中没有数据行。"))
    return lines


def _checked(lines, check, key_of) -> list[dict]:
    """Every line checked by ``check`` (a dict of values, or a list of problems); duplicates
    by ``key_of``. ``ImportRefused`` naming each wrong line, or the values of all of them."""
    errors, rows, seen = [], [], {}
    for number, cells in lines:
        values, problems = check(cells)
        if not problems:
            key = key_of(values)
            if key in seen:
                problems = [
                    _("与第 %(row)s 行重复（同一年度、区县%(what)s只能有一行）。")
                    % {
                        "row": seen[key],
                        "what": _("和培训对象") if len(key) == 3 else "",
                    }
                ]
            else:
                seen[key] = number
        if problems:
            if len(errors) < MAX_ERRORS:
                errors.append(
                    _("第 %(row)s 行：%(problems)s") % {"row": number, "problems": " ".join(problems)}
                )
            continue
        rows.append(values)
    if errors:
        raise ImportRefused(_("表格有错误，未导入任何一行；请改正以下各行后重新上传。"), errors)
    return rows


def _check_task(cells) -> tuple[dict, list[str]]:
    problems = []
    year, problem = _year(cells.get("year"))
    problems.append(problem)
    district, problem = _district(cells.get("district"))
    problems.append(problem)
    group, problem = _target_group(cells.get("target_group"))
    problems.append(problem)
    target, problem = _figure(cells.get("target"), _("目标任务"))
    problems.append(problem)
    note, problem = _free_text(cells.get("note"), _("依据"))
    problems.append(problem)
    values = {"year": year, "district": district, "target_group": group, "target": target, "note": note}
    return values, [p for p in problems if p]


def _check_base(cells) -> tuple[dict, list[str]]:
    problems = []
    year, problem = _year(cells.get("year"))
    problems.append(problem)
    district, problem = _district(cells.get("district"))
    problems.append(problem)
    employed, problem = _figure(cells.get("employed"), _("就业人员"))
    problems.append(problem)
    skilled, problem = _figure(cells.get("skilled"), _("技能劳动者"))
    problems.append(problem)
    high, problem = _figure(cells.get("high_skilled"), _("高技能人才"))
    problems.append(problem)
    source, problem = _free_text(cells.get("source"), _("来源"))
    problems.append(problem)
    if employed is not None and skilled is not None and skilled > employed:
        problems.append(
            _("技能劳动者（%(skilled)s）不能多于就业人员（%(employed)s）。")
            % {
                "skilled": skilled,
                "employed": employed,
            }
        )
    if skilled is not None and high is not None and high > skilled:
        problems.append(
            _("高技能人才（%(high)s）不能多于技能劳动者（%(skilled)s）。")
            % {
                "high": high,
                "skilled": skilled,
            }
        )
    values = {
        "year": year,
        "district": district,
        "employed": employed,
        "skilled": skilled,
        "high_skilled": high,
        "source": source,
    }
    return values, [p for p in problems if p]


# ---------------------------------------------------------------- the imports


def training_tasks_import(content: bytes, filename: str = "", user=None) -> ImportResult:
    """Import task lines (年度, 区县, 培训对象 — empty for all groups —, 目标任务, 依据): all or
    none, upserted by (year, district, target group). ``ImportRefused`` names the wrong lines."""
    lines = _table(content, TASK_COLUMNS, TASK_REQUIRED, _("年度目标任务"))
    rows = _checked(lines, _check_task, lambda v: (v["year"], v["district"], v["target_group"]))
    result = ImportResult(rows=len(rows), years=sorted({row["year"] for row in rows}))
    with transaction.atomic():
        for row in rows:
            _task, created = TrainingTask.objects.update_or_create(
                year=row["year"],
                district=row["district"],
                target_group=row["target_group"],
                defaults={"target": row["target"], "note": row["note"], "is_demo": False},
            )
            result.created += created
            result.updated += not created
    return result


def employment_base_import(content: bytes, filename: str = "", user=None) -> ImportResult:
    """Import the statistics bureau's figures (年度, 区县, 就业人员, 技能劳动者, 高技能人才, 来源):
    all or none, upserted by (year, district). ``ImportRefused`` names the wrong lines."""
    lines = _table(content, BASE_COLUMNS, BASE_REQUIRED, _("就业基数"))
    rows = _checked(lines, _check_base, lambda v: (v["year"], v["district"]))
    result = ImportResult(rows=len(rows), years=sorted({row["year"] for row in rows}))
    with transaction.atomic():
        for row in rows:
            _base, created = EmploymentBase.objects.update_or_create(
                year=row["year"],
                district=row["district"],
                defaults={
                    "employed": row["employed"],
                    "skilled": row["skilled"],
                    "high_skilled": row["high_skilled"],
                    "source": row["source"],
                    "is_demo": False,
                },
            )
            result.created += created
            result.updated += not created
    return result
