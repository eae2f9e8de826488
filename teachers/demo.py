"""Idempotent demo data: Zibo teachers in every vetting state and published teaching materials.

Assumes the occupations are loaded. Teachers are keyed by (name, employer), materials by ISBN:
running the seed again adds nothing and changes nothing an editor has changed since.
"""

import datetime as dt
import io
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.files.images import ImageFile
from django.db import transaction
from PIL import Image as PILImage
from wagtail.images import get_image_model

from courses.models import Occupation
from teachers.isbn import isbn13_check_digit
from teachers.models import Gender, Material, Teacher, TeacherCertificate, TeacherState
from teachers.services import teacher_transition
from vocabulary.training import Level

CERAMICS, GLASS, CHEMICAL = "6-15-05-02", "6-15-03-03", "6-11-01-03"
ELDERLY_CARE, HOUSEKEEPING, CATERING = "4-10-01-05", "4-10-01-06", "4-03-02-01"

S = TeacherState
# The path from "submitted" to each demo state, with the reviewer's reasons.
PATHS = {
    S.SUBMITTED: [],
    S.UNDER_REVIEW: [(S.UNDER_REVIEW, "")],
    S.APPROVED: [(S.UNDER_REVIEW, ""), (S.APPROVED, "资格证书已核验。")],
    S.REJECTED: [
        (S.UNDER_REVIEW, ""),
        (S.REJECTED, "证书扫描件不清晰，证书编号无法核验，请补充清晰扫描件后重新提交。"),
    ],
}


@dataclass(frozen=True)
class DemoCertificate:
    name: str
    number: str
    issued_by: str
    level: str
    issued_on: dt.date


@dataclass(frozen=True)
class DemoTeacher:
    name: str
    gender: str
    employer: str
    title: str
    phone: str
    bio: str
    specialties: tuple[str, ...]
    state: str
    colour: tuple[int, int, int]
    certificates: tuple[DemoCertificate, ...] = field(default=())


TEACHERS = (
    DemoTeacher(
        "王建国",
        Gender.MALE,
        "淄博职业学院",
        "高级讲师",
        "13905331201",
        "从事日用陶瓷成型与施釉教学二十余年，参与编写淄博陶瓷琉璃产业职业技能培训教材。",
        (CERAMICS,),
        S.APPROVED,
        (176, 98, 62),
        (
            DemoCertificate(
                "职业技能等级证书（陶瓷成型施釉工）",
                "S000037030000123401",
                "淄博市职业技能鉴定中心",
                "一级/高级技师",
                dt.date(2019, 6, 20),
            ),
        ),
    ),
    DemoTeacher(
        "李秀英",
        Gender.FEMALE,
        "淄博市社会福利中心",
        "高级技师",
        "13905331202",
        "养老机构一线护理主管，长期承担张店区、淄川区养老护理员培训。",
        (ELDERLY_CARE, HOUSEKEEPING),
        S.APPROVED,
        (92, 142, 120),
        (
            DemoCertificate(
                "职业技能等级证书（养老护理员）",
                "S000037030000123402",
                "山东省民政厅职业技能鉴定站",
                "二级/技师",
                dt.date(2018, 11, 5),
            ),
            DemoCertificate(
                "职业技能等级证书（家政服务员）",
                "S000037030000123403",
                "淄博市职业技能鉴定中心",
                "三级/高级工",
                dt.date(2016, 4, 12),
            ),
        ),
    ),
    DemoTeacher(
        "孙志强",
        Gender.MALE,
        "淄博市技师学院",
        "中式烹调高级技师",
        "13905331203",
        "鲁菜烹饪技艺传承人，博山菜制作技艺培训讲师。",
        (CATERING,),
        S.APPROVED,
        (200, 150, 60),
        (
            DemoCertificate(
                "职业技能等级证书（中式烹调师）",
                "S000037030000123404",
                "淄博市职业技能鉴定中心",
                "一级/高级技师",
                dt.date(2017, 9, 1),
            ),
        ),
    ),
    DemoTeacher(
        "赵明",
        Gender.MALE,
        "齐鲁石化培训中心",
        "高级工程师",
        "13905331204",
        "化工装置操作与安全生产培训讲师，熟悉临淄区化工园区企业岗位要求。",
        (CHEMICAL,),
        S.APPROVED,
        (70, 110, 170),
        (
            DemoCertificate(
                "职业技能等级证书（化工总控工）",
                "S000037030000123405",
                "淄博市职业技能鉴定中心",
                "二级/技师",
                dt.date(2020, 7, 15),
            ),
        ),
    ),
    DemoTeacher(
        "刘海燕",
        Gender.FEMALE,
        "博山琉璃艺术研究所",
        "工艺美术师",
        "13905331205",
        "从事博山琉璃灯工与玻璃冷加工技艺研究与教学。",
        (GLASS,),
        S.UNDER_REVIEW,
        (120, 90, 160),
        (
            DemoCertificate(
                "职业技能等级证书（玻璃加工工）",
                "S000037030000123406",
                "淄博市职业技能鉴定中心",
                "三级/高级工",
                dt.date(2021, 3, 30),
            ),
        ),
    ),
    DemoTeacher(
        "陈丽",
        Gender.FEMALE,
        "张店区家政服务培训学校",
        "",
        "13905331206",
        "家政服务员、育婴员培训讲师。",
        (HOUSEKEEPING,),
        S.REJECTED,
        (150, 150, 150),
        (DemoCertificate("职业技能等级证书（家政服务员）", "", "", "四级/中级工", dt.date(2022, 5, 8)),),
    ),
)


def _isbn(first12: str) -> str:
    return first12 + isbn13_check_digit(first12)


@dataclass(frozen=True)
class DemoMaterial:
    title: str
    authors: str
    publisher: str
    isbn: str
    edition: str
    year: int
    occupation: str
    level: str
    provincial_quality: bool
    summary: str


MATERIALS = (
    DemoMaterial(
        "养老护理员（基础知识）",
        "人力资源社会保障部教材办公室 组织编写",
        "中国劳动社会保障出版社",
        _isbn("978751674512"),
        "第2版",
        2020,
        ELDERLY_CARE,
        Level.FIVE,
        True,
        "国家职业技能标准配套教材：职业道德、老年人生理心理特点、安全防护与照护基础。",
    ),
    DemoMaterial(
        "陶瓷成型施釉工（五级）",
        "淄博职业学院 编",
        "中国轻工业出版社",
        _isbn("978751842316"),
        "第1版",
        2022,
        CERAMICS,
        Level.FIVE,
        True,
        "结合淄博日用陶瓷企业生产实际，讲解注浆、滚压成型与浸釉、喷釉工艺。",
    ),
    DemoMaterial(
        "化工总控工（中级）",
        "齐鲁石化培训中心 编",
        "化学工业出版社",
        _isbn("978712238764"),
        "第1版",
        2021,
        CHEMICAL,
        Level.FOUR,
        False,
        "化工单元操作、DCS 操作与工艺控制、危险化学品安全与应急处置。",
    ),
    DemoMaterial(
        "中式烹调师（初级）",
        "人力资源社会保障部教材办公室 组织编写",
        "中国劳动社会保障出版社",
        _isbn("978751673309"),
        "第3版",
        2019,
        CATERING,
        Level.FIVE,
        False,
        "原料初加工、刀工与勺工、基本烹调方法，附鲁菜（博山菜）实训菜例。",
    ),
)


def _reviewer() -> User | None:
    return User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()


def _photo(demo: DemoTeacher):
    """A small plain portrait placeholder (a PNG made with Pillow), one per teacher."""
    title = f"师资照片 {demo.name}"
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing is not None:
        return existing
    buffer = io.BytesIO()
    PILImage.new("RGB", (240, 320), demo.colour).save(buffer, format="PNG")
    image = Image(title=title, file=ImageFile(buffer, name=f"teacher-{demo.phone[-4:]}.png"))
    image.save()
    return image


def _seed_teacher(demo: DemoTeacher, reviewer: User | None) -> None:
    if Teacher.objects.filter(name=demo.name, employer=demo.employer).exists():
        return
    teacher = Teacher(
        name=demo.name,
        gender=demo.gender,
        employer=demo.employer,
        title=demo.title,
        phone=demo.phone,
        bio=demo.bio,
        photo=_photo(demo) if demo.state == S.APPROVED else None,
        specialties=list(Occupation.objects.filter(code__in=demo.specialties)),
        certificates=[
            TeacherCertificate(
                name=c.name, number=c.number, issued_by=c.issued_by, level=c.level, issued_on=c.issued_on
            )
            for c in demo.certificates
        ],
    )
    teacher.save()  # saves the certificates and specialties with it (a ClusterableModel)
    for target, reason in PATHS[demo.state]:
        if reviewer is not None:
            teacher_transition(teacher=teacher, to_state=target, user=reviewer, reason=reason)
        else:  # no superuser yet: set the state without an audit entry
            Teacher.objects.filter(pk=teacher.pk).update(state=target, state_reason=reason)


def _seed_material(demo: DemoMaterial, user: User | None) -> None:
    if Material.objects.filter(isbn=demo.isbn).exists():
        return
    occupation = Occupation.objects.filter(code=demo.occupation).first()
    if occupation is None:
        return
    material = Material(
        title=demo.title,
        authors=demo.authors,
        publisher=demo.publisher,
        isbn=demo.isbn,
        edition=demo.edition,
        year=demo.year,
        occupation=occupation,
        level=demo.level,
        provincial_quality=demo.provincial_quality,
        summary=demo.summary,
        live=False,
    )
    material.full_clean()
    material.save()
    material.save_revision(user=user).publish(user=user)


@transaction.atomic
def seed_teachers() -> None:
    """4 approved teachers, one under review, one rejected with a reason; 4 published materials."""
    reviewer = _reviewer()
    for demo in TEACHERS:
        _seed_teacher(demo, reviewer)
    for demo in MATERIALS:
        _seed_material(demo, reviewer)
