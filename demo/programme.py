"""Idempotent demo data: a small training programme, so that the unified reports (统一报表) of
this year (and, a little, of the year before) are filled for the bureau and the district
officials. Forty-four demo workers (``demo-w-001`` …, no login: their passwords are unusable)
in all 11 districts and most target groups study the open demo courses through the real
progress service; the completions, the archive entries and the certificates follow from it by
the real completion path, and a part of them claim the subsidy through the real rules service,
one claim rejected and a few approved (one paid) by the real review steps.

**Dates.** The progress service refuses events older than the offline window (7 days, rule "too
old") against the moment it is told they arrived, and credits a backlog only under a grant. So
the workers' study is not sent today as a months-old backlog: each course's events are handed to
``events_record`` in one batch with the moment it arrived (its ``now``: seconds after the last
event, as an app back online sends them), each lesson under a grant issued when it was opened.
Their study is therefore dated over the past months of this year (China's time) and, for some,
over the second half of last year; the credited spans, the completions and the certificates
carry those dates. Claims and the review steps take the real time (their services accept no
moment): all claims fall in the current quarter, and last year has none. Learners' own
``created_at`` is the seed's time too; their verification is dated before their first study.
Four 张店区 workers are members of the demo school's class and studied this week, on PCs, so the
report's institution cut shows the school. Each worker has an IP address of their own: the fraud
scan finds nothing in the programme.

Keyed by username, by (worker, course) — a course with any progress of the worker is not
studied again — and by archive entry for the claims; the event ids are uuid5 of the same keys
as the demo learner's. Running it again adds nothing.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from archive.models import ArchiveEntry
from courses.models import CoursePage
from institutions.demo import CLASS_NAME
from institutions.models import TrainingClass
from institutions.services import class_member_add
from learners.models import Enrollment, Learner, VerificationStatus
from learners.services import enrollment_create
from progress.models import LessonProgress
from progress.services import Origin, events_record, grant_issue
from subsidies.models import ClaimStatus, SubsidyClaim
from subsidies.services import claim_bureau_decide, claim_district_decide, claim_mark_paid, claim_submit
from vocabulary.identity import id_check_char
from vocabulary.people import District, TargetGroup

CHINA = ZoneInfo("Asia/Shanghai")
USERNAME = "demo-w-{:03d}"
HEARTBEAT_SECONDS = 20

# ---------------------------------------------------------------- studying a course


def study(
    learner: Learner,
    course: CoursePage,
    started: dt.datetime,
    *,
    channels=("app", "wechat"),
    lessons: int | None = None,
    origin: Origin | None = None,
    sent_at_end: bool = False,
) -> dt.datetime:
    """Let a learner study the course's lessons (the first ``lessons`` of them, default all)
    from ``started``, five minutes apart, through the real progress service: honest credit,
    with its evidence log. Return the moment the study ended.

    The events arrive as a backlog (contract rule 9), so each lesson's study is covered by a
    grant issued when the learner opened it, before they studied — as the app asks for one. By
    default (the demo learner, who studied two days ago) each lesson's events arrive now, in a
    batch of their own. ``sent_at_end``: the whole course's events arrive in one batch seconds
    after the last one, as an app back online sends them, and the service is told that moment
    (``events_record``'s ``now``): within the offline window, so the study may lie months back."""
    moment = started
    origin = origin or Origin(ip="127.0.0.1", user_agent="demo seed")
    batch = []
    for number, lesson in enumerate(course.lessons.order_by("sort_order")[:lessons]):
        session = str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-seed/{learner.pk}/{lesson.pk}"))
        channel = channels[number % len(channels)]
        grant = grant_issue(learner=learner, lesson=lesson, now=moment - dt.timedelta(minutes=1)).token

        def event(kind, position, at, session=session, lesson=lesson, channel=channel, grant=grant):
            key = f"demo-seed/{learner.pk}/{lesson.pk}/{kind}/{position}"
            return {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
                "session": session,
                "lesson": lesson.pk,
                "channel": channel,
                "type": kind,
                "position": position,
                "at": at.isoformat(),
                "grant": grant,
            }

        events = [event("play", 0, moment)]
        for position in range(HEARTBEAT_SECONDS, lesson.duration, HEARTBEAT_SECONDS):
            events.append(event("heartbeat", position, moment + dt.timedelta(seconds=position)))
        end = moment + dt.timedelta(seconds=lesson.duration)
        events.append(event("ended", lesson.duration, end))
        if sent_at_end:
            batch += events
        else:
            events_record(learner=learner, raw_events=events, origin=origin)
        moment = end + dt.timedelta(seconds=300)
    if batch:
        arrived = end + dt.timedelta(seconds=3)
        events_record(learner=learner, raw_events=batch, origin=origin, now=arrived)
    return moment


# ---------------------------------------------------------------- the workers

# Per district: how many workers, the first six digits of their ID numbers (the zones use their
# parent district's) and the courses they take, in the order a worker's rotation starts from.
DISTRICTS = (
    (District.ZHANGDIAN, 9, "370303", ("elderly-care", "housekeeping", "chinese-cooking")),
    (District.ZICHUAN, 7, "370302", ("ceramics-glazing", "chemical-safety", "housekeeping")),
    (District.BOSHAN, 3, "370304", ("ceramics-glazing", "chinese-cooking", "elderly-care")),
    (District.ZHOUCUN, 3, "370306", ("chinese-cooking", "housekeeping", "elderly-care")),
    (District.LINZI, 5, "370305", ("chemical-safety", "elderly-care", "housekeeping")),
    (District.HUANTAI, 4, "370321", ("chemical-safety", "housekeeping", "chinese-cooking")),
    (District.GAOQING, 3, "370322", ("housekeeping", "elderly-care", "chinese-cooking")),
    (District.YIYUAN, 3, "370323", ("elderly-care", "housekeeping", "chinese-cooking")),
    (District.HIGH_TECH, 3, "370303", ("chemical-safety", "chinese-cooking", "elderly-care")),
    (District.ECONOMIC, 2, "370302", ("chemical-safety", "elderly-care", "housekeeping")),
    (District.WENCHANGHU, 2, "370306", ("chinese-cooking", "housekeeping", "elderly-care")),
)
GROUPS = (
    TargetGroup.ENTERPRISE_EMPLOYEE,
    TargetGroup.RURAL_WORKER,
    TargetGroup.UNEMPLOYED,
    TargetGroup.ENTERPRISE_EMPLOYEE,
    TargetGroup.SCHOOL_LEAVER,
    TargetGroup.VETERAN,
    TargetGroup.ENTERPRISE_EMPLOYEE,
    TargetGroup.POOR_LABOUR,
    TargetGroup.HIGH_RISK_WORKER,
    TargetGroup.RURAL_WORKER,
    TargetGroup.DISABLED,
    TargetGroup.COLLEGE_STUDENT,
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = (
    "建国", "秀兰", "志刚", "丽娟", "海燕", "国庆", "春梅", "俊杰", "晓东", "玉珍", "文静", "长青",
    "红霞", "立新", "桂芳", "永强", "雪梅", "德胜", "凤英", "金龙", "淑华", "振华", "翠萍", "明亮",
)  # fmt: skip
CHANNELS = ("pc", "app", "wechat")
# The 张店区 workers (their number within the district) who study in the demo school's class
# this week: the institution cut of the report shows the school.
CLASS_MEMBERS = (4, 5, 6, 7)
REJECT_REASON = "培训签到记录与平台学习记录不一致，请补充线下签到材料后重新申领（演示数据）。"
PAYMENT_REFERENCE = "ZB-DEMO-PAY-0001"
# The golden ratio's fraction: spreads the workers' study days evenly over the months.
SPREAD = 0.6180339887


@dataclass(frozen=True)
class Worker:
    number: int  # 1, 2, … over the whole city: the username
    rank: int  # 0, 1, … within the district
    district: str
    area: str
    courses: tuple[str, ...]

    @property
    def username(self) -> str:
        return USERNAME.format(self.number)

    @property
    def in_class(self) -> bool:
        return self.district == District.ZHANGDIAN and self.rank in CLASS_MEMBERS

    @property
    def partial(self) -> bool:
        """Studies only the first lesson of their course: a trainee, no completion yet."""
        return self.rank % 4 == 2

    @property
    def claims(self) -> bool:
        return self.rank % 4 in (0, 3)

    @property
    def second_course(self) -> bool:
        return self.rank == 0

    @property
    def last_year(self) -> bool:
        return self.rank % 3 == 1 and not self.in_class

    def id_number(self) -> str:
        birth = dt.date(1968 + (self.number * 7) % 36, self.number % 12 + 1, (self.number * 5) % 28 + 1)
        first17 = f"{self.area}{birth:%Y%m%d}{800 + self.number:03d}"
        return first17 + id_check_char(first17)


def workers() -> list[Worker]:
    found, number = [], 0
    for district, count, area, courses in DISTRICTS:
        for rank in range(count):
            number += 1
            rotated = courses[rank % len(courses) :] + courses[: rank % len(courses)]
            if district == District.ZHANGDIAN and rank in CLASS_MEMBERS:
                rotated = ("elderly-care",) + tuple(slug for slug in rotated if slug != "elderly-care")
            found.append(Worker(number, rank, district, area, rotated))
    return found


def _learner(worker: Worker, verified_at: dt.datetime) -> Learner:
    name = SURNAMES[worker.number % len(SURNAMES)] + GIVEN[(worker.number * 7) % len(GIVEN)]
    user, created = User.objects.get_or_create(username=worker.username, defaults={"first_name": name})
    if created:
        user.set_unusable_password()  # a demo figure, no login
        user.save()
    learner, _ = Learner.objects.get_or_create(
        user=user,
        defaults={
            "real_name": name,
            "id_number": worker.id_number(),
            "phone": f"1385330{worker.number:04d}",
            "district": worker.district,
            "target_group": GROUPS[worker.number % len(GROUPS)],
            "verified": True,
            "verified_at": verified_at,
            "verification_method": "staff",
            "verification_status": VerificationStatus.VERIFIED,
            "verification_detail": "培训机构工作人员现场核验身份证。",
            "verification_checked_at": verified_at,
        },
    )
    return learner


# ---------------------------------------------------------------- when each studies


def _evening(day: dt.date, worker: Worker) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(19 + worker.number % 3, (worker.number * 7) % 60), CHINA)


def _plan(worker: Worker, now: dt.datetime) -> list[tuple[str, dt.datetime, int | None]]:
    """(course slug, start, lessons) of the worker's study, in time order: last year's, this
    year's course, perhaps a second one. Nothing starts later than an hour ago."""
    today = now.astimezone(CHINA).date()
    latest = now - dt.timedelta(hours=1)
    year_start = dt.date(today.year, 1, 1)
    fraction = (worker.number * SPREAD) % 1
    plan = []
    courses = list(worker.courses)
    if worker.last_year:
        day = dt.date(today.year - 1, 7, 1) + dt.timedelta(days=int(fraction * 170))
        plan.append((courses.pop(), _evening(day, worker), None))
    if worker.in_class:  # the class's daytime sessions of the last days, in the school's PC room
        day = today - dt.timedelta(days=1 + worker.rank % 5)
        start = dt.datetime.combine(day, dt.time(9, 30 + worker.rank), CHINA)
    else:
        days = max(0, (today - year_start).days - 3)
        start = _evening(year_start + dt.timedelta(days=int(fraction * days)), worker)
    plan.append(
        (courses[0], min(start, latest - dt.timedelta(minutes=worker.number)), 1 if worker.partial else None)
    )
    second = start + dt.timedelta(days=11)
    if worker.second_course and second <= latest:
        plan.append((courses[1], second, None))
    return plan


# ---------------------------------------------------------------- the programme


def _study_plan(worker: Worker, learner: Learner, courses: dict, now: dt.datetime) -> list[CoursePage]:
    """Study what the worker has not studied yet; return this year's completed courses."""
    origin = Origin(ip=f"198.51.100.{worker.number}", user_agent="demo seed")
    rotation = CHANNELS[worker.number % 3 :] + CHANNELS[: worker.number % 3]
    completed = []
    for slug, start, lessons in _plan(worker, now):
        course = courses[slug]
        source = Enrollment.Source.SELF if course.open_enrolment else Enrollment.Source.STAFF
        enrollment, _created = enrollment_create(learner=learner, course=course, source=source)
        if not LessonProgress.objects.filter(learner=learner, lesson__course=course).exists():
            channels = ("pc",) if worker.in_class else rotation
            study(learner, course, start, channels=channels, lessons=lessons, origin=origin, sent_at_end=True)
            enrollment.refresh_from_db(fields=["completed_at"])
        if (
            enrollment.completed_at
            and enrollment.completed_at.astimezone(CHINA).year == now.astimezone(CHINA).year
        ):
            completed.append(course)
    return completed


def _claims(claimed: list[tuple[Worker, Learner, CoursePage]]) -> dict:
    """Claim the subsidy of each worker's first completion of this year (staff claim for the
    class's members); the first 张店区 claim is rejected by the district, the next two approved
    by the district and the bureau, and the first of those paid."""
    staff = User.objects.filter(username="institution").first()
    official = User.objects.filter(username="zhangdian").first()
    bureau = User.objects.filter(username="bureau").first()
    made = 0
    zhangdian = []
    for worker, learner, course in claimed:
        entry = ArchiveEntry.objects.filter(learner=learner, course=course).first()
        if entry is None:
            continue
        claim = SubsidyClaim.objects.filter(archive_entry=entry).first()
        if claim is None:
            by = staff if worker.in_class and staff is not None else learner.user
            claim = claim_submit(learner_id=learner.pk, entry_id=entry.pk, user=by)
            made += 1
        if worker.district == District.ZHANGDIAN:
            zhangdian.append(claim)
    if official is None or bureau is None:
        return {"claims": made}
    for number, claim in enumerate(zhangdian[:3]):
        if claim.status == ClaimStatus.SUBMITTED:
            claim = claim_district_decide(
                claim_id=claim.pk, user=official, approve=number > 0, reason="" if number else REJECT_REASON
            )
        if claim.status == ClaimStatus.DISTRICT_APPROVED:
            claim = claim_bureau_decide(claim_id=claim.pk, user=bureau, approve=True)
        if number == 1 and claim.status == ClaimStatus.APPROVED:
            claim_mark_paid(claim_id=claim.pk, user=bureau, reference=PAYMENT_REFERENCE)
    return {"claims": made}


@transaction.atomic
def seed_programme(now: dt.datetime | None = None) -> dict:
    """The demo workers, their study, completions and claims; what was created. Needs the demo
    courses, the subsidy standards and the demo school's class (seeded before)."""
    now = now or timezone.now()
    roster = workers()
    studied = (
        LessonProgress.objects.filter(learner__user__username__in=[worker.username for worker in roster])
        .values("learner_id")
        .distinct()
    )
    if studied.count() == len(roster):  # seeded (in one transaction): nothing to look at again
        return {"workers": 0, "claims": 0}
    courses = {course.slug: course for course in CoursePage.objects.filter(slug__in=_slugs())}
    training_class = TrainingClass.objects.filter(name=CLASS_NAME).first()
    created = {"workers": 0, "claims": 0}
    claimed = []
    for worker in roster:
        plan = _plan(worker, now)
        exists = Learner.objects.filter(user__username=worker.username).exists()
        learner = _learner(worker, plan[0][1] - dt.timedelta(days=1))
        created["workers"] += not exists
        if worker.in_class:
            if training_class is None:
                continue
            class_member_add(training_class=training_class, learner=learner)
        completed = _study_plan(worker, learner, courses, now)
        if worker.claims and completed:
            claimed.append((worker, learner, completed[0]))
    created["claims"] = _claims(claimed)["claims"]
    return created


def _slugs() -> set[str]:
    return {slug for _district, _count, _area, slugs in DISTRICTS for slug in slugs}
