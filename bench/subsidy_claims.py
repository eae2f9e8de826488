"""Cost of a subsidy claim against the length of the person's history (docs/subsidies.md).

    DJANGO_DEBUG=1 .venv/bin/python bench/subsidy_claims.py [repeats]

Migrates and seeds a fresh SQLite database in a temporary folder (or uses DATABASE_URL when it is
set: give it a database of its own), then for people with 0, 100, 10 000 and 100 000 earlier
claims (rejected ones, and one open claim this year) runs ``claim_submit`` ``repeats`` times,
each in a transaction rolled back afterwards, and prints the queries of one claim and the
p50/p90 time in milliseconds. The queries must not grow with the history; the time may grow a
little with the size of the index it reads.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
workdir = tempfile.mkdtemp(prefix="zibo-subsidy-bench.")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "1"
if not os.environ.get("DATABASE_URL"):
    os.environ["SQLITE_PATH"] = f"{workdir}/db.sqlite3"
os.environ["MEDIA_ROOT"] = f"{workdir}/media"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from archive.services import archive_entry_record  # noqa: E402
from courses.models import CoursePage  # noqa: E402
from learners.models import Enrollment, Learner  # noqa: E402
from progress.models import LessonProgress  # noqa: E402
from subsidies.demo import seed_subsidies  # noqa: E402
from subsidies.models import ClaimStatus, SubsidyClaim  # noqa: E402
from subsidies.services import claim_submit  # noqa: E402
from vocabulary.identity import id_check_char  # noqa: E402
from vocabulary.people import District, TargetGroup  # noqa: E402

HISTORIES = (0, 100, 10_000, 100_000)


class Rollback(Exception):
    pass


def person(number: int) -> Learner:
    first17 = f"37030319800101{number:03d}"
    user = User.objects.create(username=f"bench-subsidy-{number}")
    return Learner.objects.create(
        user=user,
        real_name="测试",
        id_number=first17 + id_check_char(first17),
        phone=f"139{number:08d}",
        district=District.ZHANGDIAN,
        target_group=TargetGroup.UNEMPLOYED,
        verified=True,
    )


def completed(learner: Learner, course: CoursePage):
    Enrollment.objects.get_or_create(learner=learner, course=course)
    for lesson in course.lessons.all():
        LessonProgress.objects.create(learner=learner, lesson=lesson, credited_seconds=lesson.duration)
    return archive_entry_record(learner=learner, course_id=course.pk, completed_at=timezone.now())


def history(learner, entries, size: int) -> None:
    rejected = [
        SubsidyClaim(
            learner=learner,
            archive_entry=entries[1 + n % 2],
            occupation_code=entries[1 + n % 2].occupation_code,
            level=entries[1 + n % 2].level,
            completion_year=2000 + n % 30,
            amount=1000,
            status=ClaimStatus.REJECTED,
            reason="bench",
            submitted_by=learner.user,
        )
        for n in range(size)
    ]
    SubsidyClaim.objects.bulk_create(rejected, batch_size=5000)
    entry = entries[1]
    SubsidyClaim.objects.create(
        learner=learner,
        archive_entry=entry,
        occupation_code=entry.occupation_code,
        level=entry.level,
        completion_year=timezone.localtime(entry.completed_at).year,
        amount=1000,
        submitted_by=learner.user,
    )


def measure(learner, entry, repeats: int) -> tuple[int, list[float]]:
    timings, queries = [], 0
    for round_ in range(repeats + 1):
        seen = []
        started = time.perf_counter()
        try:
            with (
                transaction.atomic(),
                connection.execute_wrapper(
                    lambda execute, sql, *a, seen=seen: seen.append(sql) or execute(sql, *a)
                ),
            ):
                claim_submit(learner_id=learner.pk, entry_id=entry.pk, user=learner.user)
                raise Rollback
        except Rollback:
            pass
        if round_:  # the first one warms the caches
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(seen)
    return queries, timings


def main(repeats: int) -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    seed_subsidies()
    courses = []
    seen_pairs = set()
    for course in (
        CoursePage.objects.filter(subsidy_eligible=True).select_related("occupation").order_by("pk")
    ):
        pair = (course.occupation.code, course.level)
        if pair not in seen_pairs:
            seen_pairs.add(pair)
            courses.append(course)
    print(f"{'history':>8}  {'queries':>7}  {'p50 ms':>7}  {'p90 ms':>7}")
    for number, size in enumerate(HISTORIES, start=1):
        learner = person(number)
        entries = [completed(learner, course) for course in courses[:3]]
        history(learner, entries, size)
        queries, timings = measure(learner, entries[0], repeats)
        p90 = statistics.quantiles(timings, n=10)[-1] if len(timings) > 1 else timings[0]
        print(f"{size:>8}  {queries:>7}  {statistics.median(timings):>7.2f}  {p90:>7.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
