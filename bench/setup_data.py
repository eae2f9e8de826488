"""Benchmark data: learners with API tokens, enrolled in one course, and a reset between runs.

Run with the benchmark's environment (``bench/run.sh`` does)::

    DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python bench/setup_data.py create --out FILE
    DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python bench/setup_data.py reset

``create`` makes (idempotently) ``--learners`` learners ``bench-0001``... with unusable passwords
and one API token each, one published course of ``--lessons`` video lessons of ``--duration``
seconds, and the enrolments; then writes the file the wrk script reads::

    duration 5400
    lessons 5 6 7 8
    learner 1 <token>
    ...

``reset`` prints, as one JSON line, what the benchmark learners' runs left in the database (events
logged by status and reason, sessions, spans, progress rows), then deletes those rows, so that
every measured run starts from the same state.
"""

import argparse
import datetime as dt
import json
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402
from knox.crypto import hash_token  # noqa: E402
from knox.models import AuthToken  # noqa: E402
from wagtail.models import Page, Site  # noqa: E402

from courses.models import CourseIndexPage, CoursePage, HomePage, Lesson, LessonKind, Occupation  # noqa: E402
from learners.models import Enrollment, Learner  # noqa: E402
from progress.models import CreditedSpan, LessonProgress, PlaybackSession, ProgressEvent  # noqa: E402
from vocabulary.identity import id_check_char  # noqa: E402
from vocabulary.people import District, TargetGroup  # noqa: E402
from vocabulary.training import Level  # noqa: E402

USER_PREFIX = "bench-"
COURSE_SLUG = "bench-course"


def _id_number(n: int) -> str:
    """A distinct, valid 18-character ID number (Zibo area code, born 1985)."""
    first17 = f"370303198501{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def _course(lessons: int, duration: int) -> CoursePage:
    course = CoursePage.objects.filter(slug=COURSE_SLUG).first()
    if course is not None:
        return course
    home = HomePage.objects.first()
    if home is None:
        home = Page.get_first_root_node().add_child(instance=HomePage(title="淄博技能在线", slug="zibo-home"))
        Site.objects.update_or_create(
            is_default_site=True, defaults={"hostname": "localhost", "root_page": home, "port": 80}
        )
    index = CourseIndexPage.objects.first() or home.add_child(
        instance=CourseIndexPage(title="课程中心", slug="courses")
    )
    occupation, _ = Occupation.objects.get_or_create(code="6-11-01-03", defaults={"name": "化工总控工"})
    course = CoursePage(
        title="压测课程 Benchmark course",
        slug=COURSE_SLUG,
        occupation=occupation,
        level=Level.FOUR,
        required_hours=24,
        open_enrolment=True,
        live=False,
        lessons=[
            Lesson(title=f"第{i + 1}课", kind=LessonKind.VIDEO, duration=duration, sort_order=i)
            for i in range(lessons)
        ],
    )
    index.add_child(instance=course)
    course.save_revision().publish()
    course.refresh_from_db()
    return course


@transaction.atomic
def create(learners: int, lessons: int, duration: int) -> tuple[CoursePage, list[tuple[int, str]]]:
    course = _course(lessons, duration)
    names = [f"{USER_PREFIX}{n:04d}" for n in range(1, learners + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [User(username=name, password=make_password(None)) for name in names if name not in existing]
    )
    users = {user.username: user for user in User.objects.filter(username__in=names)}
    with_learner = set(Learner.objects.filter(user__in=users.values()).values_list("user_id", flat=True))
    # One by one, not bulk_create: Learner.save() encrypts the ID number and phone and computes
    # their look-up hashes.
    for n, name in enumerate(names, start=1):
        if users[name].pk not in with_learner:
            Learner.objects.create(
                user=users[name],
                real_name=f"压测学员{n:04d}",
                id_number=_id_number(n),
                phone=f"138{n:08d}",
                district=District.ZHANGDIAN,
                target_group=TargetGroup.ENTERPRISE_EMPLOYEE,
            )
    # Tokens are stored as digests (knox): mint a fresh one per learner on every run, since the
    # data file needs the plain tokens.
    AuthToken.objects.filter(user__in=users.values()).delete()
    expiry = timezone.now() + dt.timedelta(days=1)
    keys = {u.pk: secrets.token_hex(32) for u in users.values()}
    AuthToken.objects.bulk_create(
        [
            AuthToken(digest=hash_token(key), token_key=key[:15], user_id=pk, expiry=expiry)
            for pk, key in keys.items()
        ]
    )
    rows = [
        (pk, keys[user_id])
        for pk, user_id in Learner.objects.filter(user__username__in=names)
        .order_by("user__username")
        .values_list("pk", "user_id")
    ]
    enrolled = set(Enrollment.objects.filter(course=course).values_list("learner_id", flat=True))
    Enrollment.objects.bulk_create(
        [Enrollment(learner_id=pk, course=course) for pk, _ in rows if pk not in enrolled]
    )
    return course, rows


def write_data(path: Path, course: CoursePage, rows: list[tuple[int, str]]) -> None:
    lessons = list(course.lessons.order_by("sort_order").values_list("pk", "duration"))
    lines = [
        f"duration {min(d for _, d in lessons)}",
        "lessons " + " ".join(str(pk) for pk, _ in lessons),
        *(f"learner {pk} {key}" for pk, key in rows),
    ]
    path.write_text("\n".join(lines) + "\n")


def reset() -> dict:
    stats = _delete_progress()
    if connection.vendor == "postgresql":
        # Every run starts from the same state: without this, the dead rows of the runs before
        # (a batch run deletes a hundred thousand events) slowed the next runs down while
        # autovacuum caught up, and runs later in a bench compared worse than earlier ones.
        with connection.cursor() as cursor:
            for model in (ProgressEvent, PlaybackSession, CreditedSpan, LessonProgress, Enrollment):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return stats


@transaction.atomic
def _delete_progress() -> dict:
    learners = Learner.objects.filter(user__username__startswith=USER_PREFIX)
    events = ProgressEvent.objects.filter(learner__in=learners)
    stats = {
        "accepted": events.filter(status=ProgressEvent.Status.ACCEPTED).count(),
        "rejected": {
            row["reason"]: row["n"]
            for row in events.filter(status=ProgressEvent.Status.REJECTED)
            .values("reason")
            .annotate(n=Count("pk"))
            .order_by("reason")
        },
        "segments": {
            row["segment"] or "-": row["n"]
            for row in events.filter(status=ProgressEvent.Status.ACCEPTED)
            .values("segment")
            .annotate(n=Count("pk"))
            .order_by("segment")
        },
        "sessions": PlaybackSession.objects.filter(learner__in=learners).count(),
        "superseded_sessions": PlaybackSession.objects.filter(
            learner__in=learners, superseded_at__isnull=False
        ).count(),
        "spans": CreditedSpan.objects.filter(learner__in=learners).count(),
        "progress_rows": LessonProgress.objects.filter(learner__in=learners).count(),
    }
    events.delete()
    PlaybackSession.objects.filter(learner__in=learners).delete()
    CreditedSpan.objects.filter(learner__in=learners).delete()
    LessonProgress.objects.filter(learner__in=learners).delete()
    Enrollment.objects.filter(learner__in=learners).update(completed_at=None)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("create", help="create learners, tokens, course; write the data file")
    make.add_argument("--learners", type=int, default=200)
    make.add_argument("--lessons", type=int, default=4)
    make.add_argument("--duration", type=int, default=5400, help="lesson length in seconds")
    make.add_argument("--out", type=Path, required=True)
    clear = sub.add_parser("reset", help="print what the last run left, as JSON, then delete it")
    clear.add_argument("--label", default="", help="added to the JSON line")
    args = parser.parse_args()
    if args.command == "create":
        course, rows = create(args.learners, args.lessons, args.duration)
        write_data(args.out, course, rows)
        print(f"{len(rows)} learners with tokens enrolled in course {course.pk}; data in {args.out}")
    else:
        print("SERVER " + json.dumps({"label": args.label, **reset()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
