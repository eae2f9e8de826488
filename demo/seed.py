"""Idempotent demo data with real-looking Zibo content (see the contract's "Demo data")."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group, Permission, User
from django.core.files import File
from django.core.files.images import ImageFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from archive.services import archive_backfill
from catalogs.demo import seed_catalogs
from catalogs.models import InstitutionEntry
from catalogs.services import entry_publish
from courses.media import inspect_upload
from courses.models import CourseIndexPage, CoursePage, HomePage, Lesson, LessonKind, Occupation
from courses.occupations import occupations_load
from demand import services as demand_services
from demand.bulk import Row
from demand.models import TrainingDemand
from demo.covers import cover_path
from demo.programme import seed_programme, study
from institutions.demo import ENTERPRISE_NAME, seed_institutions
from institutions.models import Enterprise, Institution
from integrity.demo import seed_integrity_demo
from learners.models import Learner
from learners.services import enrollment_create
from orders import services as order_services
from orders.models import TrainingOffer
from quizzes.demo import seed_quizzes
from reports.demo import seed_reports_demo
from scorm.demo import seed_scorm
from subsidies.demo import seed_subsidies
from teachers.demo import seed_teachers
from teachers.selectors import approved_teachers, live_materials
from vocabulary.identity import id_check_char
from vocabulary.people import District, TargetGroup
from vocabulary.training import CertificateType, Industry, Level

MEDIA_DIR = Path(__file__).resolve().parent / "media"
INDUSTRY_BY_SLUG = {
    "chemical": Industry.CHEMICAL,
    "elderly": Industry.ELDERLY_CARE,
    "ceramics": Industry.CERAMICS,
    "glass": Industry.GLASS,
    "housekeeping": Industry.HOUSEKEEPING,
    "chinese": Industry.CATERING,
}

# Demo accounts: (username, password, role shown on start). Demo only: the seed refuses to run
# under production settings.
DEMO_LEARNER = ("demo", "demo12345")
STAFF_ACCOUNTS = [
    ("editor", "editor12345", "内容编辑 editor (Wagtail)"),
    ("institution", "institution12345", "培训机构 institution staff"),
    ("reviewer", "reviewer12345", "内容审核 reviewer (Wagtail moderator)"),
    ("bureau", "bureau12345", "市人社局 bureau (administrator)"),
]


@dataclass(frozen=True)
class DemoLesson:
    title: str
    file: str = ""  # in demo/media/; duration and pages are read from it, as for an upload
    kind: str = LessonKind.VIDEO
    chapter: str = ""


@dataclass(frozen=True)
class DemoCourse:
    slug: str
    title: str
    occupation_code: str
    level: str
    # Required hours, to 0.01 h: what the course's required lessons hold (their durations as read
    # from their files) at the completion share (90 %), rounded down, as tests/factories.py's
    # make_course does: a learner who completes every required lesson has also covered the hours,
    # whether they stop at 90 % of each or study it fully. tests/test_seed.py checks the rule
    # against the seeded lessons.
    hours: str
    summary: str
    lessons: tuple[DemoLesson, ...]
    open_enrolment: bool = True
    certificate_type: str = CertificateType.TRAINING
    subsidy_eligible: bool = True
    industry: str = ""
    # Anti-idling roll-call and no dragging past the credited part. Always set on the course
    # from here (the model's defaults for a new course are a check every 20 minutes and no
    # seeking ahead); the demo's contract course keeps both off, so that clients built against
    # the contract can play it unattended.
    attention_check_minutes: int = 0
    block_seek_ahead: bool = False


# Each course plays videos of its own (demo/media/make_videos.sh; the durations are in the
# comments, in seconds).
SAFETY_LESSONS = (
    DemoLesson("第1课 危险化学品的识别与标志", "safety-1.mp4", chapter="第一章 危险化学品"),  # 330
    DemoLesson("第2课 泄漏与火灾的应急处置", "safety-2.mp4", chapter="第二章 应急处置"),  # 360
)
CARE_LESSONS = (
    DemoLesson("第1课 老年人生活照料", "care-1.mp4"),  # 120
    DemoLesson("第2课 照护中的安全防护", "care-2.mp4"),  # 150
)

COURSES = (
    DemoCourse(
        "chemical-safety",
        "化工总控工安全生产基础",
        "6-11-01-03",
        Level.FOUR,
        "0.17",  # 690 s × 0.9 = 621 s ≥ 612 s
        "面向临淄、桓台化工园区企业职工的安全生产课程：危险化学品识别、应急处置。",
        SAFETY_LESSONS,
    ),
    DemoCourse(
        "elderly-care",
        "养老护理员（五级）岗位技能",
        "4-10-01-05",
        Level.FIVE,
        "0.06",  # 270 s × 0.9 = 243 s ≥ 216 s; the demo learner has completed it
        "养老护理员初级工培训：生活照料、安全防护，面向城乡劳动者与失业人员。",
        CARE_LESSONS,
    ),
    DemoCourse(
        "ceramics-glazing",
        "陶瓷成型施釉工技能提升",
        "6-15-05-02",
        Level.THREE,
        "0.11",  # 450 s × 0.9 = 405 s ≥ 396 s
        "淄博陶瓷产业重点工种：成型、施釉工艺与质量控制。由培训机构按班级组织学习。",
        (
            DemoLesson("第1课 注浆成型与修坯", "ceramics-1.mp4"),  # 210
            DemoLesson("第2课 浸釉与喷釉", "ceramics-2.mp4"),  # 240
        ),
        open_enrolment=False,
    ),
    DemoCourse(
        "glass-processing",
        "玻璃加工工岗位技能",
        "6-15-03-03",
        Level.FIVE,
        "0.12",  # 480 s × 0.9 = 432 s ≥ 432 s
        "博山、淄川玻璃产业工人岗位技能培训：切割、磨边、钢化工艺。本课程开启防挂机点名，且不能拖动跳过未学部分。",
        (
            DemoLesson("第1课 切割与磨边", "glass-1.mp4"),  # 240
            DemoLesson("第2课 钢化工艺与安全", "glass-2.mp4"),  # 240
        ),
        attention_check_minutes=2,
        block_seek_ahead=True,
    ),
    DemoCourse(
        "housekeeping",
        "家政服务员（五级）",
        "4-10-01-06",
        Level.FIVE,
        "0.08",  # 330 s × 0.9 = 297 s ≥ 288 s
        "家政服务员初级工培训，面向农村转移就业劳动者、“两后生”。",
        (
            DemoLesson("第1课 居家清洁", "housekeeping-1.mp4"),  # 150
            DemoLesson("第2课 衣物洗涤与收纳", "housekeeping-2.mp4"),  # 180
        ),
    ),
    DemoCourse(
        "chinese-cooking",
        "中式烹调师（四级）",
        "4-03-02-01",
        Level.FOUR,
        "0.09",  # 390 s × 0.9 = 351 s ≥ 324 s
        "周村烧饼、博山菜等淄博特色餐饮的烹调技能。",
        (
            DemoLesson("第1课 周村烧饼", "cooking-1.mp4"),  # 180
            DemoLesson("第2课 博山酥锅", "cooking-2.mp4"),  # 210
        ),
    ),
    DemoCourse(
        "elderly-care-advanced",
        "养老护理员（四级）综合课件",
        "4-10-01-05",
        Level.FOUR,
        # 570 s × 0.9 = 513 s ≥ 504 s. The two SCORM lessons seed_scorm adds (300 s each) are
        # optional, so they are not counted: completing the required lessons completes it.
        "0.14",
        "视频、音频、文档、SCORM 课件与测验：一门课程里的每种课件。",
        (
            DemoLesson("第1课 老年人生活照料（视频）", "care-1.mp4", chapter="第一章 生活照料"),  # 120
            DemoLesson("第2课 放松训练（音频）", "care-audio.mp3", LessonKind.AUDIO, "第一章 生活照料"),  # 90
            # 3 pages × DOCUMENT_SECONDS_PER_PAGE (120) = 360
            DemoLesson("第3课 操作手册（文档）", "care-handbook.pdf", LessonKind.DOCUMENT, "第二章 安全防护"),
            DemoLesson("第4课 单元测验", kind=LessonKind.QUIZ, chapter="第三章 考核"),  # 0
        ),
        certificate_type=CertificateType.SKILL_LEVEL,
    ),
)


def demo_id_number(first17: str) -> str:
    return first17 + id_check_char(first17)


def _home_page() -> HomePage:
    home = HomePage.objects.first()
    if home is not None:
        return home
    root = Page.get_first_root_node()
    home = HomePage(
        title="淄博技能在线",
        slug="zibo-home",
        intro="<p>淄博市职业技能提升行动“互联网+职业技能培训”平台：电脑、手机 App 与微信公众号同步学习。</p>",
    )
    root.add_child(instance=home)
    home.save_revision().publish()
    # Point the default site at the new home page and remove Wagtail's welcome page.
    site = Site.objects.filter(is_default_site=True).first()
    old_root = site.root_page if site else None
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name="淄博技能在线",
        )
    else:
        site.root_page = home
        site.site_name = "淄博技能在线"
        site.save()
    if old_root is not None and old_root.pk != home.pk and not old_root.get_children().exists():
        old_root.delete()
    return home


def _course_index(home: HomePage) -> CourseIndexPage:
    index = CourseIndexPage.objects.child_of(home).first()
    if index is not None:
        return index
    index = CourseIndexPage(title="课程中心", slug="courses", intro="<p>职业技能培训在线课程。</p>")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def _stored_media(filename: str) -> str:
    """Copy a demo file to the configured media storage once; return its storage name."""
    name = f"lessons/demo/{filename}"
    if not default_storage.exists(name):
        with (MEDIA_DIR / filename).open("rb") as handle:
            name = default_storage.save(name, File(handle, name=filename))
    return name


def _lesson(spec: DemoLesson, position: int) -> Lesson:
    """A lesson whose duration and pages come from its file, checked as an editor's upload is."""
    lesson = Lesson(title=spec.title, kind=spec.kind, chapter=spec.chapter, sort_order=position)
    if spec.file:
        with (MEDIA_DIR / spec.file).open("rb") as handle:
            upload = File(handle, name=spec.file)
            upload.size  # noqa: B018 — File reads its size lazily; inspect_upload needs it
            info = inspect_upload(spec.kind, upload)
        lesson.media = _stored_media(spec.file)
        lesson.duration, lesson.pages = info.duration, info.pages
    return lesson


def _cover(spec: DemoCourse):
    """The course's cover (demo/media/covers/, drawn by demo/covers.py) in Wagtail's image
    library, once; its description is the alt text pages show."""
    title = f"课程封面 {spec.title}"
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing is not None:
        return existing
    with cover_path(spec.slug).open("rb") as handle:
        image = Image(
            title=title,
            description=f"课程封面：{spec.title}",
            file=ImageFile(handle, name=f"cover-{spec.slug}.png"),
        )
        image._set_image_file_metadata()
        image.save()
    return image


def _attach_cover(course: CoursePage, spec: DemoCourse) -> None:
    """A cover for a course seeded before the demo had them (a new revision, published)."""
    if course.cover_id is not None:
        return
    course.cover = _cover(spec)
    course.save_revision().publish()


def _course(index: CourseIndexPage, spec: DemoCourse) -> CoursePage:
    course = CoursePage.objects.child_of(index).filter(slug=spec.slug).first()
    if course is not None:
        _attach_cover(course, spec)
        return course
    course = CoursePage(
        title=spec.title,
        slug=spec.slug,
        summary=spec.summary,
        cover=_cover(spec),
        occupation=Occupation.objects.get(code=spec.occupation_code),
        level=spec.level,
        required_hours=Decimal(spec.hours),
        open_enrolment=spec.open_enrolment,
        certificate_type=spec.certificate_type,
        subsidy_eligible=spec.subsidy_eligible,
        industry=spec.industry or INDUSTRY_BY_SLUG.get(spec.slug.split("-")[0], ""),
        attention_check_minutes=spec.attention_check_minutes,
        block_seek_ahead=spec.block_seek_ahead,
        lessons=[_lesson(lesson, position) for position, lesson in enumerate(spec.lessons)],
    )
    index.add_child(instance=course)
    course.save_revision().publish()
    return course


def _attach_teachers_and_materials(course: CoursePage) -> None:
    """Approved teachers of the course's occupation and its published materials, once."""
    if course.teachers.exists() or course.materials.exists():
        return
    teachers = list(approved_teachers().filter(specialties=course.occupation_id)[:2])
    materials = list(live_materials().filter(occupation=course.occupation_id)[:2])
    if not teachers and not materials:
        return
    course.teachers = teachers
    course.materials = materials
    course.save_revision().publish()


def _user(username: str, password: str, **fields) -> User:
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(password)
        user.save()
    return user


def _editors_group() -> Group:
    group, _ = Group.objects.get_or_create(name="Editors")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    return group


def _staff() -> None:
    editor = _user("editor", STAFF_ACCOUNTS[0][1], is_staff=True, first_name="编辑")
    editor.groups.add(_editors_group())
    institution = _user("institution", STAFF_ACCOUNTS[1][1], first_name="张店区职业培训学校")
    institution.groups.add(Group.objects.get_or_create(name="Institution staff")[0])
    reviewer = _user("reviewer", STAFF_ACCOUNTS[2][1], is_staff=True, first_name="审核员")
    reviewer.groups.add(Group.objects.get_or_create(name="Moderators")[0])
    _user("bureau", STAFF_ACCOUNTS[3][1], is_staff=True, is_superuser=True, first_name="市人社局")


def _demo_learner() -> Learner:
    user = _user(DEMO_LEARNER[0], DEMO_LEARNER[1], first_name="张明")
    learner, _ = Learner.objects.get_or_create(
        user=user,
        defaults={
            "real_name": "张明",
            "id_number": demo_id_number("37030319900307123"),
            "phone": "13912345678",
            "district": District.ZHANGDIAN,
            "target_group": TargetGroup.ENTERPRISE_EMPLOYEE,
            "employer": "淄博示范化工有限公司",
            "verified": True,
        },
    )
    return learner


@transaction.atomic
def seed() -> dict:
    """Create everything missing; return what the demo offers."""
    occupations_load()
    home = _home_page()
    index = _course_index(home)
    courses = {spec.slug: _course(index, spec) for spec in COURSES}
    _staff()  # before the teachers: their vetting decisions are logged as the bureau's
    seed_catalogs()
    seed_teachers()
    for course in courses.values():
        _attach_teachers_and_materials(course)
    advanced = courses["elderly-care-advanced"]
    seed_quizzes(advanced.lessons.get(kind=LessonKind.QUIZ))
    seed_scorm(advanced)  # after the teachers: it publishes a new revision of the live page
    learner = _demo_learner()
    enrollment_create(learner=learner, course=courses["chemical-safety"])
    enrollment_create(learner=learner, course=courses["elderly-care-advanced"])
    enrollment, _ = enrollment_create(learner=learner, course=courses["elderly-care"])
    if enrollment.completed_at is None:
        two_days_ago = timezone.localtime() - dt.timedelta(days=2)
        study(
            learner,
            courses["elderly-care"],
            two_days_ago.replace(hour=19, minute=30, second=0, microsecond=0),
        )
    seed_subsidies()
    archive_backfill()  # a database seeded before the archive existed gets its entries too
    more_logins = seed_institutions(
        learner=learner, course=courses["elderly-care"], staff_user=User.objects.get(username="institution")
    )
    seed_demands(learner)  # after the institutions: the other workers, the enterprise and its HR
    seed_orders(courses["elderly-care-advanced"])  # after the demands: the offer lists and matches them
    seed_programme()  # after the subsidy standards and the school's class: the reports' figures
    seed_integrity_demo()  # after the institutions' workers: their review cases
    seed_reports_demo()  # the task table and employment base (demo figures, marked as such)
    return {"courses": courses, "learner": learner, "logins": more_logins}


# ---------------------------------------------------------------- training demand (提单)

# (username, occupation code, note): the demo learner's own demand and two other workers'.
DEMO_DEMANDS = (
    ("demo", "4-10-01-05", "想考养老护理员四级，希望晚上或周末上课。"),
    ("lixiuying", "4-10-01-06", "失业在家，想学家政服务，尽快就业。"),
    ("liujianhua", "6-18-02-04", "在厂里做辅助工，想学焊工拿证。"),
)
# The demo enterprise's bulk demand: (occupation code, head count, note).
DEMO_ENTERPRISE_DEMANDS = (
    ("6-11-01-03", 12, "新装置投产，操作人员需取得化工总控工证书。"),
    ("6-11-01-02", 8, ""),
    ("6-31-01-03", 5, "维修班组电工复训。"),
)


def seed_demands(learner: Learner) -> None:
    """A few training demands (提单): the demo learner's, two other workers' and the demo
    enterprise's bulk lines. Idempotent: a worker who has any demand for the occupation, or an
    enterprise that has any demand, gets none added (whatever their status has become since)."""
    learners = {
        found.user.username: found
        for found in Learner.objects.filter(
            user__username__in=[row[0] for row in DEMO_DEMANDS]
        ).select_related("user")
    }
    learners.setdefault("demo", learner)
    codes = {row[1] for row in DEMO_DEMANDS} | {row[0] for row in DEMO_ENTERPRISE_DEMANDS}
    occupations = {item.code: item for item in Occupation.objects.filter(code__in=codes)}
    for username, code, note in DEMO_DEMANDS:
        worker = learners.get(username)
        if worker is None or TrainingDemand.objects.filter(learner=worker, occupation__code=code).exists():
            continue
        demand_services.demand_submit(
            learner_id=worker.pk, occupation_id=occupations[code].pk, note=note, user=worker.user
        )
    enterprise = Enterprise.objects.filter(name=ENTERPRISE_NAME).first()
    hr = User.objects.filter(username="hr").first()
    if enterprise is None or hr is None or TrainingDemand.objects.filter(enterprise=enterprise).exists():
        return
    rows = [
        Row(number=number, occupation=occupations[code], head_count=count, note=note)
        for number, (code, count, note) in enumerate(DEMO_ENTERPRISE_DEMANDS, start=1)
    ]
    demand_services.enterprise_demands_submit(enterprise=enterprise, rows=rows, user=hr)


# ---------------------------------------------------------------- training offers (列单, 接单)

DEMO_OFFER_NOTE = "全市养老护理员（四级）技能提升培训，政府按补贴标准买单。"
DEMO_ORDER_CLASS = "2026年养老护理员（四级）清单班第1期"


def _demo_school_in_catalog(school: Institution, occupation: Occupation) -> None:
    """The demo school stands in the published 培训机构目录 for the occupation (level 5 and 4), as
    an institution taking orders must."""
    year = timezone.localdate().year
    entries = InstitutionEntry.objects.filter(live=True, credit_code=school.credit_code)
    if entries.filter(occupations=occupation).exists():
        return
    entry = InstitutionEntry.objects.filter(credit_code=school.credit_code, year=year).first()
    if entry is None:
        entry = InstitutionEntry(
            name=school.name,
            credit_code=school.credit_code,
            district=school.district,
            institution_type=school.type,  # the same values in both vocabularies
            levels=[Level.FIVE, Level.FOUR],
            contact_phone=school.contact_phone or "0533-2876543",
            year=year,
        )
        entry.occupations = [occupation]
    else:
        entry.occupations = [*entry.occupations.all(), occupation]
    entry_publish(entry=entry)


def seed_orders(course: CoursePage) -> None:
    """One published offer (养老护理员四级, the whole city) with a class of the demo school that
    the district approved: ``demo`` (whose demand it answers) can enrol in it. Idempotent: the
    offer is found by its note, the class by its name."""
    bureau = User.objects.filter(username="bureau").first()
    staff = User.objects.filter(username="institution").first()
    official = User.objects.filter(username="zhangdian").first()
    school = Institution.objects.filter(staff__user=staff).first() if staff else None
    if bureau is None or staff is None or official is None or school is None:
        return
    _demo_school_in_catalog(school, course.occupation)
    today = timezone.localdate()
    offer = TrainingOffer.objects.filter(note=DEMO_OFFER_NOTE).first()
    if offer is None:
        offer = order_services.offer_create(
            user=bureau,
            occupation=course.occupation,
            level=course.level,
            opens_on=today - dt.timedelta(days=7),
            closes_on=today + dt.timedelta(days=60),
            note=DEMO_OFFER_NOTE,
        )
    if offer.status == "draft":
        offer = order_services.offer_publish(offer_id=offer.pk, user=bureau)
    application = offer.applications.filter(name=DEMO_ORDER_CLASS).first()
    if application is None:
        application = order_services.application_submit(
            offer_id=offer.pk,
            institution=school,
            user=staff,
            data={
                "course": course,
                "name": DEMO_ORDER_CLASS,
                "starts_on": today + dt.timedelta(days=7),
                "ends_on": today + dt.timedelta(days=90),
                "mode": "blended",
                "place": "淄博市张店区柳泉路128号实训楼",
                "capacity": 40,
                "teachers": list(approved_teachers().filter(specialties=course.occupation)[:2]),
            },
        )
    if application.status == "submitted":
        order_services.application_decide(application_id=application.pk, user=official, approve=True)
