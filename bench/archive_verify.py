"""Benchmark of ``manage.py archive_verify`` over a large archive log (docs/benchmarks.md).

Fills a scratch database with ``--records`` completions — learners, courses, enrolments, archive
entries and their chained log records, written in bulk (COPY on PostgreSQL, executemany on
SQLite) with the chain computed here by ``archive.chain`` — plus a signed head every
``--head-every`` records; then runs the verification in a fresh process at each size of
``--checkpoints`` and reports its time and peak memory (``resource.getrusage``)::

    createdb -h 127.0.0.1 -U postgres chain19bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chain19bench DJANGO_DEBUG=1 \\
        .venv/bin/python bench/archive_verify.py --records 1000000 --checkpoints 100000,1000000

The database must be a scratch one: the script migrates it and refuses to run if it already
holds archive records (``--fresh`` empties the archive tables and the bench's learners first).
``verify`` (internal) is the measured child: one verification, one JSON line.
"""

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from wagtail.models import Page, Site  # noqa: E402

from archive import chain, signing  # noqa: E402
from archive.models import ArchiveEntry, ArchiveHead, LogRecord  # noqa: E402
from archive.verify import chain_verify  # noqa: E402
from courses.models import CourseIndexPage, CoursePage, HomePage, Occupation  # noqa: E402
from learners.models import Enrollment, Learner  # noqa: E402
from vocabulary.identity import id_check_char  # noqa: E402
from vocabulary.people import District, TargetGroup  # noqa: E402
from vocabulary.training import Level  # noqa: E402

PREFIX = "chainbench-"
BATCH = 50_000
BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _id_number(n: int) -> str:
    first17 = f"3703031990{(n // 28 // 1000) % 10 + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def _people(learners: int, courses: int) -> tuple[list[int], list[CoursePage]]:
    """``learners`` learners and ``courses`` courses (made once; reused by later runs)."""
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
    made = list(CoursePage.objects.filter(slug__startswith=PREFIX).order_by("pk"))
    for n in range(len(made), courses):
        course = CoursePage(
            title=f"档案压测课程 {n + 1:03d}",
            slug=f"{PREFIX}{n + 1:03d}",
            occupation=occupation,
            level=Level.FOUR,
            required_hours=24,
            live=True,
        )
        index.add_child(instance=course)
        made.append(course)
    names = [f"{PREFIX}{n:05d}" for n in range(1, learners + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    unusable = make_password(None)
    User.objects.bulk_create(
        [User(username=name, password=unusable) for name in names if name not in existing]
    )
    users = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    with_learner = set(Learner.objects.filter(user_id__in=users.values()).values_list("user_id", flat=True))
    for n, name in enumerate(names, start=1):  # one by one: save() encrypts and hashes
        if users[name] not in with_learner:
            Learner.objects.create(
                user_id=users[name],
                real_name=f"档案压测{n:05d}",
                id_number=_id_number(n),
                phone=f"137{n:08d}",
                district=District.ZHANGDIAN,
                target_group=TargetGroup.ENTERPRISE_EMPLOYEE,
            )
    learner_ids = list(
        Learner.objects.filter(user__username__in=names)
        .order_by("user__username")
        .values_list("pk", flat=True)
    )
    return learner_ids, made[:courses]


class Writer:
    """Bulk rows into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, table: str, columns: list[str]):
        self.table, self.columns = table, columns

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(sql, rows)


RECORDS = Writer(
    LogRecord._meta.db_table, ["seq", "kind", "refers_to_id", "content", "recorded_at", "prev_hash", "hash"]
)
ENROLMENTS = Writer(
    Enrollment._meta.db_table, ["id", "learner_id", "course_id", "source", "enrolled_at", "completed_at"]
)
ENTRIES = Writer(
    ArchiveEntry._meta.db_table,
    [
        "id",
        "learner_id",
        "enrollment_id",
        "record_id",
        "course_id",
        "course_title",
        "occupation_code",
        "occupation_name",
        "level",
        "required_hours",
        "credited_seconds",
        "completed_at",
        "recorded_at",
    ],
)


def fill(total: int, learners: list[int], courses: list[CoursePage], head_every: int) -> None:
    """Append completions up to ``total`` records (learner by learner, course by course), chained
    after what the log holds; each has its enrolment and archive entry, as the application
    writes them (``archive.chain``)."""
    done, previous = chain._tip()
    first_enrolment = (
        (Enrollment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1 - done
    )
    records, enrolments, entries = [], [], []
    started = time.monotonic()
    for seq in range(done + 1, total + 1):
        learner = learners[(seq - 1) // len(courses)]
        course = courses[(seq - 1) % len(courses)]
        completed = BASE + dt.timedelta(seconds=seq * 7, microseconds=seq % 1000)
        recorded = completed + dt.timedelta(seconds=1)
        credited = 86400 + (seq % 1000) / 8
        enrolment = first_enrolment + seq - 1
        values = {
            "course_title": course.title,
            "occupation_code": "6-11-01-03",
            "occupation_name": "化工总控工",
            "level": Level.FOUR,
            "required_hours": "24.00",
            "credited_seconds": credited,
            "completed_at": completed,
        }
        content = chain.content_text(
            chain.completion_content(
                learner_id=learner, enrollment_id=enrolment, course_id=course.pk, **values
            )
        )
        body = chain.record_body(seq, chain.Kind.COMPLETION, chain.utc_text(recorded), None, content)
        digest = chain.record_hash(previous, body)
        records.append((seq, chain.Kind.COMPLETION, None, content, recorded, previous, digest))
        enrolments.append((enrolment, learner, course.pk, "self", completed, completed))
        entries.append((seq, learner, enrolment, seq, course.pk, *values.values(), recorded))
        previous = digest
        if seq % head_every == 0:
            _head(seq, digest, recorded)
        if len(records) >= BATCH or seq == total:
            with transaction.atomic():
                RECORDS.write(records)
                ENROLMENTS.write(enrolments)
                ENTRIES.write(entries)
            records, enrolments, entries = [], [], []
            print(f"  {seq:>9,} records written, {time.monotonic() - started:.0f} s", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Enrollment, ArchiveEntry]):
                cursor.execute(sql)
            for model in (LogRecord, Enrollment, ArchiveEntry):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _head(size: int, digest: str, at: dt.datetime) -> None:
    payload = {"size": size, "hash": digest, "signed_at": chain.head_text(at)}
    ArchiveHead.objects.create(
        size=size,
        hash=digest,
        signed_at=at.replace(microsecond=0),
        jws=signing.sign(payload),
        kid=signing.signing_keys()[0].kid,
    )


def fresh() -> None:
    """Empty the archive's tables and the bench's enrolments (the triggers lifted for it)."""
    with transaction.atomic(), chain.guard_lifted(), connection.cursor() as cursor:
        for model in (ArchiveHead, ArchiveEntry, LogRecord):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608 — fixed names
        Enrollment.objects.filter(learner__user__username__startswith=PREFIX).delete()


def _status_mib(field: str) -> float | None:
    """VmRSS / VmHWM of this process in MiB (Linux), or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def measure(chunk_size: int) -> dict:
    """One verification in this process: its time and the process's peak memory. ``ru_maxrss``
    (getrusage) counts what a process inherited from the one that forked it, so a child of this
    bench reports the bench's own size; the peak of this process's own memory is ``VmHWM``,
    which starts afresh at exec. Run ``bench/archive_verify.py verify`` from a shell to have
    both agree."""
    rss_before = _status_mib("VmRSS")
    busy_before, own_before = _busy_seconds(), _own_cpu_seconds()
    report = chain_verify(chunk_size=chunk_size)
    busy, own = _busy_seconds() - busy_before, _own_cpu_seconds() - own_before
    return {
        "ok": report.ok,
        "message": report.message,
        "records": report.size,
        "entries": report.entries_checked,
        "heads": report.heads_checked,
        "seconds": round(report.seconds, 2),
        "rss_before_mib": rss_before,
        "peak_rss_mib": _status_mib("VmHWM"),
        "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "chunk_size": chunk_size,
        # CPU of this process, and of the whole machine (PostgreSQL and other work included),
        # in cores over the run: how busy the machine was while it was measured.
        "process_cores": round(own / report.seconds, 2) if report.seconds else None,
        "machine_cores": round(busy / report.seconds, 2) if report.seconds and busy else None,
        "vendor": connection.vendor,
    }


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _busy_seconds() -> float:
    """CPU seconds the whole machine spent busy so far (Linux /proc/stat), or 0."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def verify_in_child(chunk_size: int) -> dict:
    env = {**os.environ}
    line = (
        subprocess.run(
            [sys.executable, __file__, "verify", "--chunk-size", str(chunk_size)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return json.loads(line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "verify"])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--checkpoints", default="", help="sizes to verify at (comma-separated); default: the end"
    )
    parser.add_argument("--courses", type=int, default=250)
    parser.add_argument("--head-every", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    if args.mode == "verify":
        print(json.dumps(measure(args.chunk_size), ensure_ascii=False))
        return
    call_command("migrate", verbosity=0)
    if args.fresh:
        fresh()
    checkpoints = sorted({int(n) for n in args.checkpoints.split(",") if n} | {args.records})
    learners_needed = -(-args.records // args.courses)
    print(f"{connection.vendor}: {learners_needed} learners x {args.courses} courses", flush=True)
    started = time.monotonic()
    learners, courses = _people(learners_needed, args.courses)
    print(f"people and courses: {time.monotonic() - started:.0f} s", flush=True)
    if chain._tip()[0] and not args.fresh:
        raise SystemExit("the database already holds archive records: use a scratch database, or --fresh")
    for checkpoint in checkpoints:
        started = time.monotonic()
        fill(checkpoint, learners, courses, args.head_every)
        print(f"filled to {checkpoint:,} in {time.monotonic() - started:.0f} s", flush=True)
        print(json.dumps(verify_in_child(args.chunk_size), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
