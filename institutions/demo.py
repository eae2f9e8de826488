"""Idempotent demo data: a Zibo training school with a class and an assignment, an enterprise
with its HR, a district official and an auditor.

Keyed by credit code, class name and username: running it again adds nothing and changes
nothing. Learners are looked up by their user, never by ID number (it is stored encrypted).
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from catalogs.validators import credit_code_check_char
from courses.models import CoursePage, Occupation
from institutions.models import (
    DistrictOfficial,
    Employment,
    Enterprise,
    EnterpriseHR,
    Institution,
    InstitutionStaff,
    InstitutionType,
)
from institutions.roles import AUDITORS_GROUP
from institutions.services import assignment_create, class_create, class_member_add
from learners.models import Learner
from teachers.selectors import approved_teachers
from vocabulary.identity import id_check_char
from vocabulary.people import District, TargetGroup

SCHOOL_NAME = "张店区职业培训学校"
CLASS_NAME = "2026年养老护理员（五级）第3期"
ENTERPRISE_NAME = "淄博示范化工有限公司"
LOGINS = [
    ("hr", "hr12345", "企业人力资源 enterprise HR（淄博示范化工有限公司）"),
    ("zhangdian", "zhangdian12345", "区县人社 district official（张店区）"),
    ("auditor", "auditor12345", "审计 auditor（可查看日志）"),
]


def demo_credit_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


def demo_id_number(first17: str) -> str:
    return first17 + id_check_char(first17)


@dataclass(frozen=True)
class DemoLearner:
    username: str
    real_name: str
    id17: str  # area code of the district, birth date, sequence
    phone: str
    district: str
    target_group: str


DEMO_LEARNERS = (
    DemoLearner(
        "lixiuying", "李秀英", "37030319780412762", "13853312761", District.ZHANGDIAN, TargetGroup.UNEMPLOYED
    ),
    DemoLearner(
        "wangguilan",
        "王桂兰",
        "37030319710905784",
        "13953323482",
        District.ZHANGDIAN,
        TargetGroup.RURAL_WORKER,
    ),
    DemoLearner(
        "liujianhua",
        "刘建华",
        "37030219850117733",
        "15064325573",
        District.ZICHUAN,
        TargetGroup.ENTERPRISE_EMPLOYEE,
    ),
    DemoLearner(
        "chenyumei", "陈玉梅", "37030619920623748", "18653394216", District.ZHOUCUN, TargetGroup.SCHOOL_LEAVER
    ),
    DemoLearner(
        "zhaozhiqiang", "赵志强", "37030319880301715", "13706437789", District.ZHANGDIAN, TargetGroup.VETERAN
    ),
)


def _user(username: str, password: str = "", **fields) -> User:
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()  # roster members only: no demo login
        user.save()
    return user


def _demo_learners() -> list[Learner]:
    learners = []
    for demo in DEMO_LEARNERS:
        user = _user(demo.username, first_name=demo.real_name)
        learner, _ = Learner.objects.get_or_create(
            user=user,
            defaults={
                "real_name": demo.real_name,
                "id_number": demo_id_number(demo.id17),
                "phone": demo.phone,
                "district": demo.district,
                "target_group": demo.target_group,
            },
        )
        learners.append(learner)
    return learners


def _school(course: CoursePage) -> Institution:
    school, _ = Institution.objects.get_or_create(
        credit_code=demo_credit_code("52370303MJE201605"),
        defaults={
            "name": SCHOOL_NAME,
            "licence_number": "人社民3703032016001号",
            "type": InstitutionType.PRIVATE,
            "district": District.ZHANGDIAN,
            "address": "淄博市张店区柳泉路128号",
            "contact_person": "孙丽",
            "contact_phone": "0533-2876543",
        },
    )
    codes = {"4-10-01-05", "4-10-01-06", "4-03-02-01"}
    school.occupations.add(course.occupation, *Occupation.objects.filter(code__in=codes))
    return school


@transaction.atomic
def seed_institutions(
    *, learner: Learner, course: CoursePage, staff_user: User
) -> list[tuple[str, str, str]]:
    """Create what is missing; return the demo logins created here (username, password, who)."""
    school = _school(course)
    InstitutionStaff.objects.get_or_create(user=staff_user, defaults={"institution": school})

    training_class = school.classes.filter(name=CLASS_NAME).first()
    if training_class is None:
        today = timezone.localdate()
        training_class = class_create(
            institution=school,
            course=course,
            name=CLASS_NAME,
            starts_on=today - dt.timedelta(days=7),
            ends_on=today + dt.timedelta(days=60),
            teacher=approved_teachers().filter(specialties=course.occupation).first(),
        )
    for member in [learner, *_demo_learners()]:
        class_member_add(training_class=training_class, learner=member)
    if not training_class.assignments.filter(course=course).exists():
        assignment_create(
            training_class=training_class,
            course=course,
            due_at=timezone.now() + dt.timedelta(days=14),
            note="请在截止日期前完成全部课时的学习，学时以平台记录为准。",
            created_by=staff_user,
        )

    enterprise, _ = Enterprise.objects.get_or_create(
        credit_code=demo_credit_code("91370303MA3C4D5E6"),
        defaults={"name": ENTERPRISE_NAME, "district": District.ZHANGDIAN},
    )
    for employee in (learner, Learner.objects.filter(user__username="liujianhua").first()):
        if employee is not None:
            Employment.objects.get_or_create(learner=employee, defaults={"enterprise": enterprise})

    hr_login, official_login, auditor_login = LOGINS
    hr = _user(hr_login[0], hr_login[1], first_name="淄博示范化工人力资源部")
    EnterpriseHR.objects.get_or_create(user=hr, defaults={"enterprise": enterprise})
    official = _user(official_login[0], official_login[1], first_name="张店区人社局")
    DistrictOfficial.objects.get_or_create(user=official, defaults={"district": District.ZHANGDIAN})
    auditor = _user(auditor_login[0], auditor_login[1], first_name="审计")
    auditor.groups.add(Group.objects.get_or_create(name=AUDITORS_GROUP)[0])
    return list(LOGINS)
