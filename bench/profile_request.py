"""Where the time of one request goes: in-process, one request at a time, no HTTP server.

Run after ``bench/setup_data.py create``, with the benchmark's environment (``bench/run.sh`` does,
once the servers are stopped)::

    DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python bench/profile_request.py [--requests 300]

Through Django's test client (the whole middleware stack, DEBUG as configured), it sends the
baseline request, single heartbeats and offline batches of 50 events for the benchmark learners,
and prints per request: wall time, this process's CPU time, on PostgreSQL the CPU time of the
database's backends (from /proc: a third of a heartbeat's cost is there), SQL statements sent
through Django's cursors (BEGIN/COMMIT not included), time inside the database driver, then, from a second pass under cProfile, the share of
the request's time spent in a few call sites (``PROBES``). After each request it closes old
database connections as Django's WSGI handler does. Finally it deletes what it wrote (``reset``).
"""

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.setup_data import USER_PREFIX, reset  # noqa: E402
from courses.models import Lesson  # noqa: E402
from learners.models import Learner  # noqa: E402

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class SqlMeter:
    """An execute wrapper counting queries and the time spent in the driver."""

    def __init__(self):
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.queries += 1


def _event(session, lesson, channel, kind, position, at):
    return {
        "id": str(uuid.uuid4()),
        "session": str(session),
        "lesson": lesson,
        "channel": channel,
        "type": kind,
        "position": round(position, 3),
        "at": at.astimezone(SHANGHAI).isoformat(timespec="milliseconds"),
    }


class Learners:
    """The benchmark learners with a client each and the same two devices as bench/progress.lua."""

    def __init__(self, count: int):
        rows = (
            Learner.objects.filter(user__username__startswith=USER_PREFIX)
            .order_by("user__username")
            .values_list("pk", "user__auth_token__key", "enrollments__course_id")[:count]
        )
        self.items = []
        for index, (pk, key, course_id) in enumerate(rows):
            lessons = list(
                Lesson.objects.filter(course_id=course_id).order_by("sort_order").values_list("pk", flat=True)
            )
            self.items.append(
                {
                    "pk": pk,
                    "lessons": lessons,
                    "lesson": lessons[index % len(lessons)],
                    "client": Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Token {key}"),
                    "session": None,
                    "backlogs": 0,
                }
            )
        self.turn = 0
        self.start = timezone.now()

    def next(self) -> dict:
        item = self.items[self.turn % len(self.items)]
        self.turn += 1
        return item

    def heartbeat(self, item) -> list[dict]:
        now = timezone.now()
        if item["session"] is None:
            item["session"], item["started"] = uuid.uuid4(), now
            return [_event(item["session"], item["lesson"], "pc", "play", 0.0, now)]
        position = (now - item["started"]).total_seconds()
        return [_event(item["session"], item["lesson"], "pc", "heartbeat", position, now)]

    def backlog(self, item, size=50, step=15) -> list[dict]:
        k = item["backlogs"]
        item["backlogs"] += 1
        length = (size - 1) * step
        start = self.start - dt.timedelta(seconds=120 + k * (length + 30) + length)
        session = uuid.uuid4()
        lesson = item["lessons"][(self.items.index(item) + 1 + k) % len(item["lessons"])]
        return [
            _event(
                session,
                lesson,
                "app",
                "play" if i == 0 else "pause" if i == size - 1 else "heartbeat",
                float(i * step),
                start + dt.timedelta(seconds=i * step),
            )
            for i in range(size)
        ]


# Where the time goes: cumulative time of these call sites, as a share of the request's time
# under cProfile (which slows Python code more than the database, so shares are indicative).
PROBES = (
    ("DRF token authentication", "rest_framework/views.py", "perform_authentication"),
    ("parse events", "progress/events.py", "parse_event"),
    ("crediting: reads (_load)", "progress/crediting.py", "_load"),
    ("crediting: apply events in memory", "progress/crediting.py", "_apply"),
    ("crediting: writes (_save)", "progress/crediting.py", "_save"),
    ("  of which QuerySet.bulk_update", "django/db/models/query.py", "bulk_update"),
    ("live push to the channel layer", "progress/notify.py", "_send"),
    ("render the JSON answer", "rest_framework/response.py", "rendered_content"),
    ("baseline: update_or_create", "django/db/models/query.py", "update_or_create"),
    ("transaction commit", "django/db/backends/base/base.py", "commit"),
    ("close or return the DB connection", "django/db/backends/base/base.py", "close"),
)


def _breakdown(stats: pstats.Stats, total: float) -> dict[str, float]:
    cumulative: dict[tuple[str, str], float] = {}
    for (filename, _, function), (_, _, _, cumtime, _) in stats.stats.items():
        key = (filename.replace("\\", "/"), function)
        cumulative[key] = cumulative.get(key, 0.0) + cumtime
    shares = {}
    lock = _lock_seconds(stats)
    if lock > 0:
        shares["crediting: learner row lock"] = round(100 * lock / total, 1)
    for label, suffix, function in PROBES:
        seconds = sum(t for (f, fn), t in cumulative.items() if f.endswith(suffix) and fn == function)
        if seconds > 0:
            shares[label] = round(100 * seconds / total, 1)
    return shares


def _lock_seconds(stats: pstats.Stats) -> float:
    """Time of the learner row lock query, called from Batch.run (the only .get() it makes)."""
    seconds = 0.0
    for (filename, _, function), (_, _, _, _, callers) in stats.stats.items():
        if filename.endswith("django/db/models/query.py") and function == "get":
            for (caller_file, _, caller_function), (_, _, _, caller_cum) in callers.items():
                if caller_file.endswith("progress/crediting.py") and caller_function == "run":
                    seconds += caller_cum
    return seconds


def _backend_ticks() -> int | None:
    """CPU clock ticks used so far by the PostgreSQL backends serving this database (None on
    SQLite): ``postgres: <cluster>: <user> <database> ...`` in their command lines."""
    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql"):
        return None
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            command = (stat.parent / "cmdline").read_bytes()
            if not command.startswith(b"postgres: ") or f" {database['NAME']} ".encode() not in command:
                continue
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def measure(name: str, requests: int, send, warmup: int = 20) -> dict:
    for _ in range(warmup):  # warm-up: imports, caches; for heartbeats, every learner's play
        send()
        close_old_connections()
    meter = SqlMeter()
    ticks = _backend_ticks()
    with connection.execute_wrapper(meter):
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(requests):
            send()
            close_old_connections()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    db_cpu = None if ticks is None else (_backend_ticks() - ticks) / os.sysconf("SC_CLK_TCK")
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(requests):
        send()
        close_old_connections()
    profile.disable()
    profiled = time.perf_counter() - started
    return {
        "stream": name,
        "ms_per_request": round(1000 * elapsed / requests, 2),
        "cpu_ms_per_request": round(1000 * cpu / requests, 2),
        "db_cpu_ms_per_request": None if db_cpu is None else round(1000 * db_cpu / requests, 2),
        "queries_per_request": round(meter.queries / requests, 2),
        "sql_ms_per_request": round(1000 * meter.seconds / requests, 2),
        "profiled_ms_per_request": round(1000 * profiled / requests, 2),
        "share_of_profiled_time_pct": _breakdown(pstats.Stats(profile), profiled),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="measured requests per stream")
    parser.add_argument("--batches", type=int, default=60, help="measured batches of 50")
    args = parser.parse_args()
    learners = Learners(200)
    baseline = Client(SERVER_NAME="127.0.0.1")

    def send_baseline():
        item = learners.next()
        body = {"learner": item["pk"], "lesson": item["lesson"], "position": 1.0}
        response = baseline.post("/bench/baseline/", body, content_type="application/json")
        assert response.status_code == 200, response.content

    def send_events(events):
        item, make = events
        response = item["client"].post(
            "/api/v1/progress/events/", {"events": make(item)}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        statuses = {result["status"] for result in response.json()["results"]}
        assert statuses == {"accepted"}, response.content

    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    results = [measure("baseline", args.requests, send_baseline)]
    reset()
    results.append(
        measure(
            "heartbeat",
            args.requests,
            lambda: send_events((learners.next(), learners.heartbeat)),
            warmup=len(learners.items),
        )
    )
    reset()
    results.append(
        measure("batch of 50", args.batches, lambda: send_events((learners.next(), learners.backlog)))
    )
    reset()
    for result in results:
        print("PROFILE " + json.dumps({"database": database, **result}, ensure_ascii=False))


if __name__ == "__main__":
    main()
