"""The data of the reports and fraud-scan benchmark (``bench/reports_scale.py``, issue 21).

``generate(...)`` fills the current database with a city's year of training, written in bulk
(``COPY`` on PostgreSQL, ``executemany`` on SQLite) as the application would have written it:

- learners (with their users) across the 11 districts and the target groups, weighted like the
  city; institutions and their classes (for the institution cut); courses with lessons and
  occupations; the task table and the employment base;
- archive entries with their enrolments and their completion records, chained with
  ``archive.chain`` (so ``archive_verify`` passes), platform certificates for most of them
  (issued before the log recorded certificates: ``record`` is null), subsidy claims (a tenth
  rejected), and a few credits invalidated by a decided review (through
  ``archive.services.archive_entry_correct``);
- the evidence log of the year, day by day in time order: playback sessions of 2–12
  heartbeats 30 s apart on the lessons of the learner's course, one credited span per session,
  mostly accepted and credited, a few ``repeat``/``gap``/``skip``/``capped`` segments, a few
  rejected events, passed and (rarely) missed attention checks; IP addresses one per learner,
  a few shared by a household or a classroom. One BUSY DAY holds ``busy_events`` of the events
  and the planted fraud patterns (``PLANTED``), so the one-day scan is measured on a heavy day.

The event log is a sample of a year, not the whole of it: 100,000 completions of 8-hour
courses would take some 100 million heartbeats. Completions credit 6–35 % more than the
required time (honest learners watch whole videos); the planted "bare minimum" entries credit
within 2 % of it.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, models, transaction
from wagtail.models import Page, Site

from archive import chain
from archive.models import ArchiveEntry, Certificate, LogRecord
from courses.models import CourseIndexPage, CoursePage, HomePage, Lesson, LessonKind, Occupation
from institutions.models import ClassMembership, Institution, TrainingClass
from learners import crypto
from learners.models import Enrollment, Learner
from reports.models import EmploymentBase, TrainingTask
from subsidies.models import SubsidyClaim
from vocabulary.identity import id_check_char
from vocabulary.people import District, TargetGroup
from vocabulary.training import CertificateType, Level

CHINA = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
PREFIX = "bench21-"
BATCH = 50_000
BEAT = 30  # seconds between heartbeats
LESSONS, DURATION = 12, 2700  # per course: 12 lessons of 45 minutes; required 8.1 h (90 %)
DISTRICT_SHARE = dict(zip(District.values, [22, 12, 7, 8, 14, 9, 5, 6, 8, 5, 4], strict=True))
GROUP_SHARE = dict(zip(TargetGroup.values, [45, 8, 15, 3, 10, 4, 3, 1, 6, 5], strict=True))
REGION = dict(zip(District.values, [303, 302, 304, 306, 305, 321, 322, 323, 303, 303, 306], strict=True))
OCCUPATIONS = [
    ("4-14-01-01", "养老护理员"),
    ("6-11-01-03", "化工总控工"),
    ("6-31-01-03", "电工"),
    ("4-03-02-01", "中式烹调师"),
    ("4-10-01-02", "保育师"),
    ("6-18-02-04", "焊工"),
    ("4-01-06-01", "电子商务师"),
    ("4-04-04-02", "网络与信息安全管理员"),
    ("4-12-01-01", "汽车维修工"),
    ("6-18-01-01", "车工"),
    ("4-10-01-06", "家政服务员"),
    ("6-16-02-02", "陶瓷工艺师"),
]
AGENTS = {
    "pc": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0",
    "app": "ZiboSkills/2.3 (Android 13)",
    "wechat": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.44",
}
CHANNELS, CHANNEL_WEIGHTS = ["pc", "app", "wechat"], [30, 35, 35]
HOURS = list(range(6, 23))
HOUR_WEIGHTS = [1, 2, 4, 4, 4, 3, 3, 4, 4, 4, 3, 2, 3, 6, 6, 5, 3]
# Learners (or IPs) per planted pattern on the busy day, at 100,000 learners (scaled down below).
PLANTED = {"parallel": 40, "shared_ips": 3, "per_ip": 30, "too_fast": 40, "missed": 40, "cap": 20, "bare": 30}


class Table:
    """Rows of a model's table in bulk: COPY on PostgreSQL, executemany on SQLite (with the
    fields' conversions for dates, times and UUIDs, which COPY does not need)."""

    def __init__(self, model, names: list[str]):
        self.fields = [model._meta.get_field(name) for name in names]
        self.sql_table = model._meta.db_table
        self.columns = ", ".join(connection.ops.quote_name(field.column) for field in self.fields)
        kinds = (models.DateTimeField, models.DateField, models.UUIDField, models.DecimalField)
        self.convert = [isinstance(field, kinds) for field in self.fields]
        self.rows = 0

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        self.rows += len(rows)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.sql_table} ({self.columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            prepared = [
                tuple(
                    field.get_db_prep_value(value, connection) if convert and value is not None else value
                    for field, convert, value in zip(self.fields, self.convert, row, strict=True)
                )
                for row in rows
            ]
            marks = ", ".join(["%s"] * len(self.fields))
            cursor.executemany(f"INSERT INTO {self.sql_table} ({self.columns}) VALUES ({marks})", prepared)  # noqa: S608


def next_id(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


def moment(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, UTC)


def china_epoch(day: dt.date, seconds: float = 0.0) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=CHINA).timestamp() + seconds


def holds_bench_rows() -> bool:
    return User.objects.filter(username__startswith=PREFIX).exists()


def _weighted(rng, shares: dict, n: int) -> list:
    return rng.choices(list(shares), weights=list(shares.values()), k=n)


class World:
    """What the generator made, by learner index: ids, districts, courses, addresses."""

    def __init__(self):
        self.learners: list[int] = []
        self.users: list[int] = []
        self.districts: list[str] = []
        self.course_of: list[int] = []  # the course each learner studies (index into courses)
        self.ip: list[str] = []
        self.courses: list[CoursePage] = []
        self.lessons: list[list[int]] = []  # lesson ids per course
        self.class_of: dict[int, int] = {}  # learner index → the class they study in
        self.bureau: User | None = None


def catalogue(world: World, courses: int, institutions_per_district: int, classes_each: int, rng) -> None:
    """Occupations, courses with lessons, institutions and classes, the bureau's user."""
    home = HomePage.objects.first()
    if home is None:
        home = Page.get_first_root_node().add_child(instance=HomePage(title="淄博技能在线", slug="zibo-home"))
        Site.objects.update_or_create(
            is_default_site=True, defaults={"hostname": "localhost", "root_page": home, "port": 80}
        )
    index = CourseIndexPage.objects.first() or home.add_child(
        instance=CourseIndexPage(title="课程中心", slug="courses")
    )
    occupations = [
        Occupation.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in OCCUPATIONS
    ]
    made = list(CoursePage.objects.filter(slug__startswith=PREFIX).order_by("pk"))
    levels = [Level.FIVE, Level.FOUR, Level.FOUR, Level.THREE, Level.SPECIAL]
    for n in range(len(made), courses):
        course = CoursePage(
            title=f"报表压测课程 {n + 1:03d}",
            slug=f"{PREFIX}{n + 1:03d}",
            occupation=occupations[n % len(occupations)],
            level=levels[n % len(levels)],
            required_hours=Decimal(LESSONS * DURATION * 9 // 360) / 100,
            certificate_type=CertificateType.TRAINING,
            attention_check_minutes=15,
            live=True,
            lessons=[
                Lesson(title=f"第{i + 1}课", kind=LessonKind.VIDEO, duration=DURATION, sort_order=i)
                for i in range(LESSONS)
            ],
        )
        index.add_child(instance=course)
        made.append(course)
    world.courses = made[:courses]
    by_course = {}
    for course_id, pk in (
        Lesson.objects.filter(course__in=world.courses).order_by("sort_order").values_list("course_id", "pk")
    ):
        by_course.setdefault(course_id, []).append(pk)
    world.lessons = [by_course[course.pk] for course in world.courses]
    if not Institution.objects.filter(credit_code__startswith="91370300B21").exists():
        institutions = Institution.objects.bulk_create(
            [
                Institution(
                    name=f"{district}职业培训学校{n + 1}",
                    credit_code=f"91370300B21{i:07d}",
                    type="private",
                    district=district,
                )
                for i, (district, n) in enumerate(
                    (d, n) for d in District.values for n in range(institutions_per_district)
                )
            ]
        )
        TrainingClass.objects.bulk_create(
            [
                TrainingClass(
                    institution=institution,
                    course=course,
                    occupation_id=course.occupation_id,
                    level=course.level,
                    name=f"{institution.name} {course.title} 班",
                    starts_on=dt.date(2026, 1 + k % 12, 1),
                    ends_on=dt.date(2026, 1 + k % 12, 28),
                    district=institution.district,
                    mode="online",
                )
                for institution in institutions
                for k, course in enumerate(rng.sample(world.courses, min(classes_each, len(world.courses))))
            ]
        )
    world.bureau, _ = User.objects.get_or_create(username=f"{PREFIX}bureau")
    world.bureau.groups.add(Group.objects.get_or_create(name="Bureau")[0])


def _id_number(n: int, district: str) -> str:
    born = dt.date(1966, 1, 1) + dt.timedelta(days=n % 12000)
    first17 = f"370{REGION[district]}{born:%Y%m%d}{(n // 12000) % 1000:03d}"
    return first17 + id_check_char(first17)


def people(world: World, learners: int, rng) -> None:
    """Users and learners, COPY'd: the ID numbers and phones encrypted and hashed here as
    ``Learner.save`` would."""
    users = Table(
        User,
        ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
         "is_active", "date_joined"],
    )  # fmt: skip
    table = Table(
        Learner,
        [
            "id", "user_id", "real_name", "id_number", "id_number_hash", "phone", "phone_hash", "birth_date",
            "sex", "education", "district", "target_group", "employer", "verified", "verified_at",
            "verification_method", "verification_status", "verification_detail", "created_at",
        ],
    )  # fmt: skip
    first_user, first_learner = next_id(User), next_id(Learner)
    unusable = make_password(None)
    joined = dt.datetime(2025, 12, 1, tzinfo=UTC)
    districts = _weighted(rng, DISTRICT_SHARE, learners)
    groups = _weighted(rng, GROUP_SHARE, learners)
    user_rows, learner_rows = [], []
    for n in range(learners):
        district = districts[n]
        number = _id_number(n, district)
        phone = f"13{n:09d}"
        user_id, learner_id = first_user + n, first_learner + n
        user_rows.append((user_id, unusable, False, f"{PREFIX}{n:06d}", "", "", "", False, True, joined))
        learner_rows.append(
            (
                learner_id, user_id, f"压测学员{n:06d}", crypto.encrypt(number), crypto.blind_index(number),
                crypto.encrypt(phone), crypto.blind_index(phone), dt.date(int(number[6:10]), int(number[10:12]),
                int(number[12:14])), "M" if int(number[16]) % 2 else "F", "senior", district, groups[n], "",
                True, joined, "bench", "verified", "", joined,
            )
        )  # fmt: skip
        world.learners.append(learner_id)
        world.users.append(user_id)
        world.districts.append(district)
        world.course_of.append(rng.randrange(len(world.courses)))
        # Addresses one per learner; one in fifty shares its household's with the learner before.
        world.ip.append(
            world.ip[-1]
            if n and rng.random() < 0.02
            else f"{36 + n // 65536}.{n // 256 % 256}.{n % 256}.{7 + n % 200}"
        )
        if len(learner_rows) >= BATCH or n == learners - 1:
            with transaction.atomic():
                users.write(user_rows)
                table.write(learner_rows)
            user_rows, learner_rows = [], []
    _members(world, rng)


def _members(world: World, rng) -> None:
    """Two in five learners study their course in a class (of their district if one runs it)."""
    classes = {}
    for pk, course_id, district in TrainingClass.objects.filter(course__in=world.courses).values_list(
        "pk", "course_id", "district"
    ):
        classes.setdefault(course_id, []).append((pk, district))
    table = Table(ClassMembership, ["id", "training_class_id", "learner_id", "joined_at"])
    rows, first = [], next_id(ClassMembership)
    for n, learner_id in enumerate(world.learners):
        options = classes.get(world.courses[world.course_of[n]].pk)
        if not options or rng.random() >= 0.4:
            continue
        local = [pk for pk, district in options if district == world.districts[n]]
        klass = rng.choice(local or [pk for pk, _ in options])
        world.class_of[n] = klass
        rows.append((first + len(rows), klass, learner_id, dt.datetime(2026, 1, 5, tzinfo=UTC)))
    table.write(rows)


def tasks(world: World) -> None:
    counts = {}
    for district in world.districts:
        counts[district] = counts.get(district, 0) + 1
    for year in (2025, 2026):
        for district in District.values:
            people_there = counts.get(district, 0)
            TrainingTask.objects.update_or_create(
                year=year, district=district, target_group="",
                defaults={"target": max(1, round(people_there * 0.95)), "note": "压测数据"},
            )  # fmt: skip
            TrainingTask.objects.update_or_create(
                year=year, district=district, target_group=TargetGroup.ENTERPRISE_EMPLOYEE,
                defaults={"target": max(1, round(people_there * 0.45)), "note": "压测数据"},
            )  # fmt: skip
    for district, share in DISTRICT_SHARE.items():
        employed = share * 30_000
        EmploymentBase.objects.update_or_create(
            year=2026, district=district,
            defaults={"employed": employed, "skilled": employed * 27 // 100, "high_skilled": employed * 27 * 31 // 10000, "source": "压测数据"},
        )  # fmt: skip


# ---------------------------------------------------------------- the archive


def _completion_moment(rng, year: int, busy: dt.date | None = None) -> float:
    day = busy or dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    return china_epoch(day, rng.choices(HOURS, HOUR_WEIGHTS)[0] * 3600 + rng.uniform(0, 3600))


def archive(world: World, entries: int, busy_day: dt.date, bare: int, rng) -> dict:
    """Enrolments (every learner in their course, plus second courses), ``entries`` completions
    chained in the order they happened, certificates for most, claims for two in five (a tenth
    rejected), ``bare`` of them planted on the busy day with the bare minimum of time."""
    n = len(world.learners)
    primaries = min(n, round(entries * 0.8))
    seconds = min(n, entries - primaries)
    second_of = {}
    for i in rng.sample(range(n), seconds):
        second_of[i] = (world.course_of[i] + 1 + rng.randrange(len(world.courses) - 1)) % len(world.courses)
    planted_bare = set(list(second_of)[:bare])
    completions = []  # (epoch, learner index, course index, is the second course, bare)
    for i in rng.sample(range(n), primaries):
        year = 2025 if rng.random() < 0.1 else 2026
        completions.append((_completion_moment(rng, year), i, world.course_of[i], False, False))
    for i, course in second_of.items():
        planted = i in planted_bare
        when = _completion_moment(rng, 2026, busy_day if planted else None)
        completions.append((when, i, course, True, planted))
    completions.sort()
    first_enrolment = next_id(Enrollment)
    enrol_rows, enrolment_of = [], {}
    for i, learner_id in enumerate(world.learners):
        enrolment_of[(i, False)] = first_enrolment + len(enrol_rows)
        source = "class" if i in world.class_of else "self"
        enrol_rows.append(
            [
                first_enrolment + len(enrol_rows),
                learner_id,
                world.courses[world.course_of[i]].pk,
                source,
                None,
            ]
        )
    for i, course in second_of.items():
        enrolment_of[(i, True)] = first_enrolment + len(enrol_rows)
        enrol_rows.append(
            [first_enrolment + len(enrol_rows), world.learners[i], world.courses[course].pk, "self", None]
        )
    started = dt.datetime(2024, 12, 1, tzinfo=UTC)
    for epoch, i, _course, second, _bare in completions:
        enrol_rows[enrolment_of[(i, second)] - first_enrolment][4] = moment(epoch)
    Table(Enrollment, ["id", "learner_id", "course_id", "source", "completed_at", "enrolled_at"]).write(
        [(*row, started) for row in enrol_rows]
    )
    return _chain(world, completions, enrolment_of, rng)


def _chain(world: World, completions, enrolment_of, rng) -> dict:
    records = Table(LogRecord, ["seq", "kind", "refers_to_id", "content", "recorded_at", "prev_hash", "hash"])
    entry_table = Table(
        ArchiveEntry,
        [
            "id", "learner_id", "enrollment_id", "record_id", "course_id", "course_title", "occupation_code",
            "occupation_name", "level", "required_hours", "credited_seconds", "completed_at", "recorded_at",
        ],
    )  # fmt: skip
    certificates = Table(
        Certificate, ["id", "entry_id", "number", "type", "issued_at", "record_id", "credential"]
    )
    claims = Table(
        SubsidyClaim,
        [
            "id", "learner_id", "archive_entry_id", "occupation_code", "level", "completion_year", "amount",
            "status", "reason", "submitted_at", "submitted_by_id", "district_decided_at", "bureau_decided_at",
            "paid_at", "payment_reference",
        ],
    )  # fmt: skip
    occupations = dict(Occupation.objects.values_list("pk", "name"))
    codes = dict(Occupation.objects.values_list("pk", "code"))
    done, previous = chain._tip()
    first_entry, first_certificate, first_claim = (
        next_id(ArchiveEntry),
        next_id(Certificate),
        next_id(SubsidyClaim),
    )
    rows = {"records": [], "entries": [], "certificates": [], "claims": []}
    claimed, counts = set(), {"certificates": 0, "claims": 0, "rejected": 0, "bare": 0}
    statuses = ["submitted", "district_approved", "approved", "paid", "rejected"]
    for k, (epoch, i, course_index, second, bare) in enumerate(completions):
        course = world.courses[course_index]
        seq, entry_id = done + 1 + k, first_entry + k
        completed, recorded = moment(epoch), moment(epoch + 1)
        required = Decimal(course.required_hours)
        share = rng.uniform(1.0005, 1.02) if bare else rng.uniform(1.06, 1.35)
        credited = round(float(required) * 3600 * share, 3)
        values = {
            "course_title": course.title,
            "occupation_code": codes[course.occupation_id],
            "occupation_name": occupations[course.occupation_id],
            "level": course.level,
            "required_hours": chain.hours_text(required),
            "credited_seconds": credited,
            "completed_at": completed,
        }
        enrolment = enrolment_of[(i, second)]
        content = chain.content_text(
            chain.completion_content(
                learner_id=world.learners[i], enrollment_id=enrolment, course_id=course.pk, **values
            )
        )
        body = chain.record_body(seq, chain.Kind.COMPLETION, chain.utc_text(recorded), None, content)
        digest = chain.record_hash(previous, body)
        rows["records"].append((seq, chain.Kind.COMPLETION, None, content, recorded, previous, digest))
        rows["entries"].append(
            (entry_id, world.learners[i], enrolment, seq, course.pk, *values.values(), recorded)
        )
        previous = digest
        if bare or rng.random() < 0.6:
            number = f"ZB{completed:%Y}{rng.getrandbits(48):012X}"
            rows["certificates"].append(
                (
                    first_certificate + counts["certificates"],
                    entry_id,
                    number,
                    "training",
                    completed,
                    None,
                    "",
                )
            )
            counts["certificates"] += 1
        if i not in claimed and completed.year == 2026 and (bare or rng.random() < 0.4):
            claimed.add(i)
            status = "submitted" if bare else rng.choices(statuses, [30, 20, 20, 20, 10])[0]
            submitted = moment(epoch + (3600 if bare else rng.uniform(86400, 20 * 86400)))
            later = submitted + dt.timedelta(days=5)
            rows["claims"].append(
                (
                    first_claim + counts["claims"], world.learners[i], entry_id, values["occupation_code"],
                    course.level, completed.astimezone(CHINA).year, Decimal(rng.choice([800, 1000, 1200, 1500])),
                    status, "社保记录不符" if status == "rejected" else "", submitted, world.users[i],
                    later if status != "submitted" else None, later if status in ("approved", "paid") else None,
                    later if status == "paid" else None, f"PAY{seq}" if status == "paid" else "",
                )
            )  # fmt: skip
            counts["claims"] += 1
            counts["rejected"] += status == "rejected"
        counts["bare"] += bare
        if len(rows["records"]) >= BATCH or k == len(completions) - 1:
            with transaction.atomic():
                records.write(rows["records"])
                entry_table.write(rows["entries"])
                certificates.write(rows["certificates"])
                claims.write(rows["claims"])
            rows = {key: [] for key in rows}
    counts["entries"] = len(completions)
    return counts


def invalidations(world: World, count: int, rng) -> int:
    """``count`` credits invalidated by a decided review: the correction appended to the log
    by the archive's own service, the case, the decision and the invalidation rows."""
    from archive.services import archive_entry_correct
    from integrity.models import CaseDecision, CaseStatus, CreditInvalidation, DecisionKind, ReviewCase

    ids = list(
        ArchiveEntry.objects.filter(learner__user__username__startswith=PREFIX)
        .order_by("-pk")
        .values_list("pk", flat=True)[: count * 20]
    )
    made = 0
    for entry in ArchiveEntry.objects.filter(pk__in=rng.sample(ids, min(count, len(ids)))).select_related(
        "learner"
    ):
        with transaction.atomic():
            correction = archive_entry_correct(
                entry=entry, changes={"credited_seconds": 0}, reason="压测：复核认定学时无效", by=world.bureau
            )
            case = ReviewCase.objects.create(
                learner=entry.learner, district=entry.learner.district, status=CaseStatus.DECIDED, weight=40,
                decided_at=entry.completed_at,
            )  # fmt: skip
            decision = CaseDecision.objects.create(
                case=case, kind=DecisionKind.INVALIDATE, reason="压测", decided_by=world.bureau
            )
            CreditInvalidation.objects.create(
                entry=entry,
                learner=entry.learner,
                course_id=entry.course_id,
                correction=correction,
                decision=decision,
            )
        made += 1
    return made
