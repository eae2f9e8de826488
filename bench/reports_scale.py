"""Benchmark of the unified reports, their Excel export and the one-day fraud scan at a city's
size (issue 21; docs/benchmarks.md, "Reports and fraud scan at a city's size").

Fills a scratch PostgreSQL database with 100,000 learners across the 11 districts, 2,000,000
progress events of the year 2026 (one busy day holding 100,000 of them and the planted fraud
patterns), 100,000 archive entries with their chained log records, certificates, subsidy claims
and the task table (``bench/reports_data.py``, ``bench/reports_events.py``), then measures each
report, cut, export and scan in a fresh process: a warm-up query, then ``--runs`` runs, their
median, and the process's peak memory::

    createdb -h 127.0.0.1 -U postgres zibo_bench21
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zibo_bench21 DJANGO_DEBUG=1 \\
        .venv/bin/python bench/reports_scale.py run
    DATABASE_URL=… .venv/bin/python bench/reports_scale.py measure report-year   # one, again
    DATABASE_URL=… .venv/bin/python bench/reports_scale.py explain               # the plans

The database must be a scratch one: the script migrates it and refuses to run if it already
holds the bench's rows (``--fresh`` empties the tables it fills first, PostgreSQL only).
``measure NAME`` (one JSON line) and ``explain`` run in the children; ``run`` = ``generate``
then every measure and the plans.
"""

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench import reports_data, reports_events  # noqa: E402
from vocabulary.people import District  # noqa: E402

YEAR = 2026
BUSY_DAY = dt.date(2026, 9, 15)
ORDINARY_DAY = dt.date(2026, 5, 12)
ONE_DISTRICT = District.ZHANGDIAN
EXPORT_URL = "/api/v1/reports/training/?year=2026{quarter}&format=xlsx"
CUTS = ("target_group", "occupation", "institution", "channel")


# ---------------------------------------------------------------- generating


def fresh() -> None:
    """Empty every table the bench fills (PostgreSQL: TRUNCATE … CASCADE, the archive's
    append-only triggers lifted for it), and the bench's users."""
    from archive import chain

    if connection.vendor != "postgresql":
        raise SystemExit("--fresh is for PostgreSQL; on SQLite start from a new file (SQLITE_PATH)")
    tables = [
        "progress_progressevent", "progress_playbacksession", "progress_creditedspan", "progress_attentionlapse",
        "integrity_creditinvalidation", "integrity_casedecision", "integrity_fraudsignal", "integrity_reviewcase",
        "subsidies_claimevent", "subsidies_subsidyclaim", "archive_certificate", "archive_archiveentry",
        "archive_archivehead", "archive_logrecord", "learners_enrollment", "institutions_classmembership",
        "learners_learner",
    ]  # fmt: skip
    with transaction.atomic(), chain.guard_lifted(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        cursor.execute(
            "DELETE FROM auth_user_groups WHERE user_id IN (SELECT id FROM auth_user WHERE username LIKE %s)",
            [reports_data.PREFIX + "%"],
        )
        cursor.execute("DELETE FROM auth_user WHERE username LIKE %s", [reports_data.PREFIX + "%"])


def generate(
    *,
    learners: int,
    events: int,
    entries: int,
    busy_events: int,
    courses: int = 36,
    seed: int = 21,
    busy_day: dt.date = BUSY_DAY,
    report=None,
) -> dict:
    """Fill the current database (see the module's docstring); returns the sizes written."""
    report = report or (lambda text: print(text, flush=True))
    rng = random.Random(seed)
    world = reports_data.World()
    timings, started = {}, time.monotonic()

    def step(name, function, *args):
        began = time.monotonic()
        result = function(*args)
        timings[name] = round(time.monotonic() - began, 1)
        report(f"{name}: {timings[name]} s")
        return result

    step("catalogue", reports_data.catalogue, world, courses, 3, 8, rng)
    step("learners", reports_data.people, world, learners, rng)
    step("tasks", reports_data.tasks, world)
    scale = learners / 100_000
    chosen = reports_events.choose(world, reports_data.PLANTED, scale, rng)
    # No pattern is planted in a database too small to hold them apart (choose() says so).
    bare = max(1, round(reports_data.PLANTED["bare"] * scale)) if chosen["cap"] else 0
    archive = step("archive", reports_data.archive, world, entries, busy_day, bare, rng)
    invalidated = step("invalidations", reports_data.invalidations, world, max(1, round(20 * scale)), rng)
    log = step(
        "events",
        reports_events.year_log,
        world,
        YEAR,
        busy_day,
        events,
        min(busy_events, events),
        chosen,
        rng,
        report,
    )
    step("analyze", _analyze)
    sizes = {
        "learners": len(world.learners),
        **archive,
        "invalidated": invalidated,
        **log,
        "planted": {key: len(value) for key, value in chosen.items()},
        "busy_day": busy_day.isoformat(),
        "seconds": round(time.monotonic() - started, 1),
        "timings": timings,
    }
    return sizes


def _analyze() -> None:
    from archive.models import ArchiveEntry, Certificate
    from institutions.models import ClassMembership
    from learners.models import Enrollment, Learner
    from progress.models import AttentionLapse, CreditedSpan, PlaybackSession, ProgressEvent
    from subsidies.models import SubsidyClaim

    models = [
        Learner, Enrollment, ArchiveEntry, Certificate, SubsidyClaim, ClassMembership,
        ProgressEvent, PlaybackSession, CreditedSpan, AttentionLapse,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            from django.contrib.auth.models import User

            # VACUUM (for the visibility map of index-only scans) cannot run in a transaction,
            # which a test's database is.
            vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            for model in [*models, User]:
                cursor.execute(f"{vacuum} {model._meta.db_table}")
            cursor.execute("ANALYZE")  # the small tables too, as autovacuum would have


def table_sizes() -> dict:
    """Rows and size on disk (table and indexes) of the big tables, PostgreSQL."""
    if connection.vendor != "postgresql":
        return {}
    names = [
        "learners_learner", "progress_progressevent", "progress_creditedspan", "progress_playbacksession",
        "archive_archiveentry", "archive_logrecord", "archive_certificate", "subsidies_subsidyclaim",
    ]  # fmt: skip
    sizes = {}
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"SELECT count(*), pg_size_pretty(pg_total_relation_size('{name}')) FROM {name}")  # noqa: S608
            sizes[name] = cursor.fetchone()
    return sizes


# ---------------------------------------------------------------- what is measured


def measures() -> dict:
    """name → a function of no arguments doing the measured work once (imported late: the
    modules measured are written by others at the same time)."""
    found = {}
    everywhere = list(District.values)
    try:
        from reports.selectors import period_of, report_cut, task_progress, training_report
    except ImportError:
        pass
    else:
        year, q3 = period_of(YEAR), period_of(YEAR, 3)
        found["report-year"] = lambda: training_report(year, everywhere)
        found["report-q3"] = lambda: training_report(q3, everywhere)
        found["report-year-district"] = lambda: training_report(year, [ONE_DISTRICT])
        found["report-q3-district"] = lambda: training_report(q3, [ONE_DISTRICT])
        for by in CUTS:
            found[f"cut-{by}-year"] = lambda by=by: report_cut(year, everywhere, by)
            found[f"cut-{by}-q3"] = lambda by=by: report_cut(q3, everywhere, by)
        found["task-progress"] = lambda: task_progress(YEAR, everywhere)
    if Path(ROOT / "reports" / "export.py").exists():
        found["export-year"] = lambda: export("")
        found["export-q3"] = lambda: export("&quarter=3")
    try:
        from integrity.scan import scan_day
    except ImportError:
        pass
    else:
        found["scan-busy"] = lambda: scan_day(BUSY_DAY)
        found["scan-ordinary"] = lambda: scan_day(ORDINARY_DAY)
    return found


_client = None


def export(quarter: str) -> dict:
    """The Excel download through the API, as the bureau: the streamed body read chunk by chunk
    (counted, not kept)."""
    global _client
    if _client is None:
        from django.contrib.auth.models import User
        from django.test import Client

        _client = Client()
        _client.force_login(User.objects.get(username=f"{reports_data.PREFIX}bureau"))
    began = time.perf_counter()
    response = _client.get(EXPORT_URL.format(quarter=quarter))
    assert response.status_code == 200, response.status_code
    first, size, chunks = None, 0, 0
    for chunk in response.streaming_content:
        first = first or time.perf_counter() - began
        size, chunks = size + len(chunk), chunks + 1
    return {
        "bytes": size,
        "chunks": chunks,
        "first_chunk_s": round(first or 0, 3),
        "streaming": response.streaming,
    }


def _reset(name: str) -> None:
    """Before each run of a scan: no signals or open cases yet (each run is a first scan)."""
    if name.startswith("scan-"):
        from integrity.models import CaseStatus, FraudSignal, ReviewCase

        FraudSignal.objects.all().delete()
        ReviewCase.objects.filter(status=CaseStatus.OPEN).delete()


def _summary(result) -> object:
    if isinstance(result, dict):
        return result
    if hasattr(result, "as_dict"):
        return result.as_dict()
    if hasattr(result, "totals"):
        totals = result.totals
        return {"rows": len(result.rows), "trainees": totals.trainees, "completions": totals.completions,
                "hours": str(totals.credited_hours), "certificates": totals.certificates,
                "claims": totals.subsidy_claims, "amount": str(totals.subsidy_amount)}  # fmt: skip
    if isinstance(result, list):
        return {"rows": len(result)}
    return str(result)[:200]


def _status_mib(field: str) -> float | None:
    """VmRSS / VmHWM of this process in MiB (Linux), or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _busy_seconds() -> float:
    """CPU seconds the whole machine spent busy so far (Linux /proc/stat), or 0."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def measure(name: str, runs: int) -> dict:
    """``runs`` runs of one measure in this process, after a warm-up query; DEBUG off (no
    query log growing in memory)."""
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)  # the test client's host, DEBUG off
    settings.DEBUG = False
    work = measures()[name]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM learners_learner")  # warm-up: connected, catalogue cached
    rss_before, load_before, busy_before = _status_mib("VmRSS"), os.getloadavg(), _busy_seconds()
    seconds, result = [], None
    began = time.monotonic()
    for _ in range(runs):
        _reset(name)
        start = time.perf_counter()
        result = work()
        seconds.append(round(time.perf_counter() - start, 3))
    elapsed = time.monotonic() - began
    return {
        "name": name,
        "median_s": round(statistics.median(seconds), 3),
        "runs_s": seconds,
        "result": _summary(result),
        "rss_before_mib": rss_before,
        "peak_rss_mib": _status_mib("VmHWM"),
        "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "machine_cores": round((_busy_seconds() - busy_before) / elapsed, 2) if elapsed else None,
        "vendor": connection.vendor,
    }


def in_child(*arguments: str) -> dict:
    """A fresh process, started through ``sh`` (which forks for it): its ``getrusage`` peak is
    its own, not this big parent's (a child inherits the parent's ``ru_maxrss`` across fork)."""
    command = [sys.executable, __file__, *arguments]
    done = subprocess.run(["/bin/sh", "-c", '"$@"; exit $?', "sh", *command], capture_output=True, text=True)
    if done.returncode:  # one failing measure does not stop the others
        return {"name": " ".join(arguments), "error": done.stderr.strip().splitlines()[-3:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- plans


def explain(out: Path) -> dict:
    """Run each report, cut and detector once, capture the SQL Django executed, and run each
    SELECT again under ``EXPLAIN (ANALYZE, BUFFERS)``; the plans go to ``out``."""
    from django.test.utils import CaptureQueriesContext

    out.mkdir(parents=True, exist_ok=True)
    wanted = ["report-year", "report-q3", "report-year-district", *[f"cut-{by}-year" for by in CUTS]]
    work = {name: fn for name, fn in measures().items() if name in wanted}
    try:
        from integrity import detectors

        for kind, detector in detectors.DETECTORS.items():
            work[f"detector-{kind}"] = lambda detector=detector: list(detector(BUSY_DAY))
    except ImportError:
        pass
    written = {}
    for name, fn in work.items():
        with CaptureQueriesContext(connection) as captured:
            fn()
        plans = []
        for k, query in enumerate(captured.captured_queries):
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or connection.vendor != "postgresql":
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            plans.append(f"-- query {k + 1} ({query['time']} s as run)\n{sql}\n\n{plan}\n")
        (out / f"{name}.txt").write_text("\n".join(plans))
        written[name] = len(plans)
    return written


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "mode", nargs="?", default="run", choices=["run", "generate", "measure", "measure-all", "explain"]
    )
    parser.add_argument("name", nargs="?", help="measure: which one (see measures())")
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--busy-events", type=int, default=None, help="default: a twentieth of --events")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="measure-all: comma-separated names")
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "bench21"), help="plans, results")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    if args.mode == "measure":
        print(json.dumps(measure(args.name, args.runs), ensure_ascii=False))
        return
    if args.mode == "explain":
        print(json.dumps(explain(out / "plans"), ensure_ascii=False))
        return
    if args.mode in ("run", "generate"):
        call_command("migrate", verbosity=0)
        if args.fresh:
            fresh()
        elif reports_data.holds_bench_rows():
            raise SystemExit(
                "the database already holds the bench's rows: use a scratch database, or --fresh"
            )
        busy = args.busy_events if args.busy_events is not None else args.events // 20
        sizes = generate(learners=args.learners, events=args.events, entries=args.entries, busy_events=busy)
        sizes["tables"] = table_sizes()
        print(json.dumps(sizes, ensure_ascii=False, default=str), flush=True)
        out.mkdir(parents=True, exist_ok=True)
        (out / "sizes.json").write_text(json.dumps(sizes, ensure_ascii=False, default=str, indent=1))
        if args.mode == "generate":
            return
    names = [name for name in args.only.split(",") if name] or list(measures())
    out.mkdir(parents=True, exist_ok=True)
    with (out / "measures.jsonl").open("a") as results:
        for name in names:
            result = in_child("measure", name, "--runs", str(args.runs))
            print(json.dumps(result, ensure_ascii=False), flush=True)
            results.write(json.dumps(result, ensure_ascii=False) + "\n")
    if args.mode == "run":
        print(json.dumps(in_child("explain", "--out", str(out)), ensure_ascii=False))


if __name__ == "__main__":
    main()
