"""Roster files and class set-ups for the roster and dashboard tests."""

import csv
import datetime as dt
import io

from django.utils import timezone
from openpyxl import Workbook

from institutions.models import Assignment, TrainingClass
from tests.factories import make_course
from tests.institutions_factories import InstitutionFactory, TrainingClassFactory, staff_of
from vocabulary.identity import id_check_char

HEADER = ["姓名", "身份证号", "手机号", "区县", "人员类别", "工作单位"]


def roster_id(n: int, born: str = "19850312") -> str:
    """A valid ID number distinct for each n (area 370302, not the one tests.factories uses)."""
    first17 = f"370302{born}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def roster_row(n: int, **fields) -> list:
    row = {
        "name": f"学员{n}",
        "id_number": roster_id(n),
        "phone": f"1385330{n:04d}",
        "district": "张店区",
        "target_group": "企业职工",
        "employer": "淄博某陶瓷有限公司",
    }
    row.update(fields)
    return [
        row["name"],
        row["id_number"],
        row["phone"],
        row["district"],
        row["target_group"],
        row["employer"],
    ]


def good_rows(count: int = 3) -> list[list]:
    return [roster_row(n) for n in range(1, count + 1)]


def xlsx_bytes(rows: list[list], header: list | None = None, title: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], *, encoding: str = "utf-8", bom: bool = False, header=None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def upload(content: bytes, name: str = "roster.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def class_with_staff(
    *, lessons: int = 2, duration: int = 600, required_hours=8, assign: bool = True, **assignment
):
    """A class of a fresh institution with a staff user and (by default) its course assigned."""
    institution = InstitutionFactory()
    course = make_course(lessons=lessons, duration=duration, required_hours=required_hours)
    training_class: TrainingClass = TrainingClassFactory(institution=institution, course=course)
    if assign:
        Assignment.objects.create(
            training_class=training_class,
            course=course,
            opens_at=assignment.get("opens_at", timezone.now() - dt.timedelta(days=1)),
            due_at=assignment.get("due_at", timezone.now() + dt.timedelta(days=30)),
        )
    return training_class, staff_of(institution)
